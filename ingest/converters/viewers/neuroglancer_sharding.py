"""Neuroglancer's sharded uint64 index (``neuroglancer_uint64_sharded_v1``, the format of Neuroglancer's
``sharded.md``): written for the ``by_id`` index of precomputed annotations, and read back (by ``ingest check``).

A chunk id (an annotation id) is shifted right by ``preshift_bits`` and hashed (here only the ``identity`` hash);
bits ``[0, minishard_bits)`` of the result pick the minishard, the next ``shard_bits`` bits the shard. Each shard
is one file ``<shard>.shard`` (lowercase hex, zero-padded to ``ceil(shard_bits / 4)`` digits): a fixed shard index
of ``2**minishard_bits`` pairs of uint64le ``[start, end)`` offsets of each minishard index, then the chunk data,
then the minishard indices. A minishard index is a C-order ``[3, n]`` uint64le array: the chunk ids
(delta-encoded), the data offsets (each relative to the end of the previous chunk, the first relative to the end of
the shard index) and the data sizes. Offsets in the shard index are relative to its end too.

Writing is vectorised over fixed-size records (every annotation of a point set encodes to the same width) and
deterministic: chunks in id order within a minishard, minishards in number order, gzip without a timestamp.
"""

from __future__ import annotations

import gzip
import math
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

Encoding = Literal["raw", "gzip"]


class ShardIndex(NamedTuple):
    """The chunks of one shard file: their ids and where their encoded data lies (start, length in the file)."""

    ids: NDArray[np.uint64]
    starts: NDArray[np.uint64]
    lengths: NDArray[np.uint64]


class ShardingError(ValueError):
    """A shard file that does not decode under its sharding specification."""


@dataclass(frozen=True)
class ShardingSpec:
    """A ``neuroglancer_uint64_sharded_v1`` specification with the ``identity`` hash."""

    preshift_bits: int = 0
    minishard_bits: int = 10
    shard_bits: int = 0
    minishard_index_encoding: Encoding = "gzip"
    data_encoding: Encoding = "raw"

    def to_json(self) -> dict[str, object]:
        """The ``sharding`` member of an index entry of an ``info`` file."""
        return {
            "@type": "neuroglancer_uint64_sharded_v1",
            "data_encoding": self.data_encoding,
            "hash": "identity",
            "minishard_bits": self.minishard_bits,
            "minishard_index_encoding": self.minishard_index_encoding,
            "preshift_bits": self.preshift_bits,
            "shard_bits": self.shard_bits,
        }

    @classmethod
    def from_json(cls, value: object) -> ShardingSpec:
        """The specification of a ``sharding`` member; :class:`ShardingError` when it is not one this module
        reads (another ``@type``, a hash other than ``identity``, bits out of range, an unknown encoding)."""
        if not isinstance(value, Mapping) or value.get("@type") != "neuroglancer_uint64_sharded_v1":
            raise ShardingError(f"not a neuroglancer_uint64_sharded_v1 specification: {value!r}")
        if value.get("hash") != "identity":
            raise ShardingError(f"hash {value.get('hash')!r} (only 'identity' is read)")
        bits = [value.get(name) for name in ("preshift_bits", "minishard_bits", "shard_bits")]
        if not all(isinstance(b, int) and not isinstance(b, bool) and 0 <= b <= 64 for b in bits):
            raise ShardingError(f"preshift_bits, minishard_bits, shard_bits must be integers in [0, 64]: {bits}")
        preshift, minishard, shard = (int(b) for b in bits)  # type: ignore[arg-type]
        if minishard + shard > 64 or preshift >= 64:
            raise ShardingError(f"bits out of range: preshift {preshift}, minishard {minishard}, shard {shard}")
        encodings = [value.get(name, "raw") for name in ("minishard_index_encoding", "data_encoding")]
        if any(encoding not in ("raw", "gzip") for encoding in encodings):
            raise ShardingError(f"encodings must be 'raw' or 'gzip': {encodings}")
        return cls(preshift, minishard, shard, encodings[0], encodings[1])

    @property
    def shard_index_size(self) -> int:
        """Bytes of the fixed shard index at the start of each shard file."""
        return 16 << self.minishard_bits

    def shard_name(self, shard: int) -> str:
        """The file name of shard number ``shard``."""
        return f"{shard:0{math.ceil(self.shard_bits / 4)}x}.shard"

    def locate(self, ids: NDArray[np.uint64]) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
        """The shard and minishard numbers of each chunk id."""
        hashed = ids >> np.uint64(self.preshift_bits)
        minishard = hashed & np.uint64((1 << self.minishard_bits) - 1)
        shard = (hashed >> np.uint64(self.minishard_bits)) & np.uint64((1 << self.shard_bits) - 1)
        return shard, minishard


def _encode(data: bytes, encoding: Encoding) -> bytes:
    # mtime 0: the same bytes on every run
    return gzip.compress(data, compresslevel=9, mtime=0) if encoding == "gzip" else data


def _decode(data: bytes, encoding: Encoding) -> bytes:
    return gzip.decompress(data) if encoding == "gzip" else data


def shard_files(spec: ShardingSpec, ids: NDArray[np.uint64], records: NDArray[np.uint8]) -> dict[str, bytes]:
    """The shard files (name -> bytes) of the chunks ``records[i]`` (one fixed-size row each) with ids ``ids``
    (distinct): one per shard number, as the format wants (a shard without chunks is its index of zeros)."""
    return {name: b"".join(pieces) for name, pieces in shard_pieces(spec, ids, records)}


def write_shard_files(spec: ShardingSpec, ids: NDArray[np.uint64], records: NDArray[np.uint8], folder: Path) -> None:
    """Write the :func:`shard_files` of ``records`` into ``folder`` (each file written piece by piece: the records
    are not copied into one more buffer)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, pieces in shard_pieces(spec, ids, records):
        with (folder / name).open("wb") as stream:
            for piece in pieces:
                stream.write(piece)


def shard_pieces(
    spec: ShardingSpec, ids: NDArray[np.uint64], records: NDArray[np.uint8]
) -> Iterator[tuple[str, list[bytes | memoryview]]]:
    """Each shard file of :func:`shard_files` as the pieces that make it, in order."""
    if records.ndim != 2 or len(records) != len(ids):
        raise ValueError(f"expected one record row per id, got {records.shape} for {len(ids)} ids")
    ids = ids.astype(np.uint64)
    shards, minishards = spec.locate(ids)
    order = np.lexsort((ids, minishards, shards))
    if np.any(ids[order][1:] == ids[order][:-1]):  # equal ids share their shard and minishard: adjacent
        raise ValueError("chunk ids must be distinct")
    for shard in range(1 << spec.shard_bits):
        chosen = order[shards[order] == shard]
        yield spec.shard_name(shard), _shard_pieces(spec, ids[chosen], minishards[chosen], records[chosen])


def _shard_pieces(
    spec: ShardingSpec, ids: NDArray[np.uint64], minishards: NDArray[np.uint64], records: NDArray[np.uint8]
) -> list[bytes | memoryview]:
    """One shard file of the chunks sorted by (minishard, id)."""
    width = records.shape[1]
    data = _encode_records(records, spec.data_encoding)
    sizes = np.array([len(chunk) for chunk in data], dtype=np.uint64) if data is not None else None
    chunk_sizes = sizes if sizes is not None else np.full(len(ids), width, dtype=np.uint64)
    ends = np.cumsum(chunk_sizes, dtype=np.uint64)
    starts = ends - chunk_sizes
    first = np.flatnonzero(np.concatenate([np.ones(min(len(ids), 1), bool), minishards[1:] != minishards[:-1]]))
    numbers = minishards[first]
    bounds = [*first.tolist(), len(ids)]
    indices: dict[int, bytes] = {}
    for number, begin, end in zip(numbers.tolist(), bounds[:-1], bounds[1:], strict=True):
        index = np.empty((3, end - begin), dtype="<u8")
        index[0] = np.diff(ids[begin:end], prepend=np.uint64(0))
        index[1, 0] = starts[begin]
        index[1, 1:] = starts[begin + 1 : end] - ends[begin : end - 1]
        index[2] = chunk_sizes[begin:end]
        indices[int(number)] = _encode(index.tobytes(), spec.minishard_index_encoding)
    payload = b"".join(data) if data is not None else np.ascontiguousarray(records).reshape(-1).data
    fixed = np.zeros((1 << spec.minishard_bits, 2), dtype="<u8")
    offset = len(payload)
    for number in sorted(indices):
        fixed[number] = (offset, offset + len(indices[number]))
        offset += len(indices[number])
    return [fixed.tobytes(), payload, *(indices[number] for number in sorted(indices))]


def _encode_records(records: NDArray[np.uint8], encoding: Encoding) -> list[bytes] | None:
    """Each record gzip-compressed, or None when the records are stored raw."""
    if encoding == "raw":
        return None
    return [_encode(row.tobytes(), encoding) for row in records]


def read_shard_index(spec: ShardingSpec, size: int, read_range: Callable[[int, int], bytes]) -> ShardIndex:
    """Where every chunk of one shard file of ``size`` bytes lies, reading only the shard index and the minishard
    indices (``read_range(start, length)``: two reads); :class:`ShardingError` when the file is truncated or an
    index does not decode or points outside the file."""
    end_of_index = spec.shard_index_size
    if size < end_of_index:
        raise ShardingError(f"{size} bytes, shorter than the {end_of_index}-byte shard index")
    fixed = np.frombuffer(read_range(0, end_of_index), dtype="<u8").reshape(-1, 2).tolist()
    used = [(minishard, start, end) for minishard, (start, end) in enumerate(fixed) if start != end]
    for minishard, start, end in used:
        if not start < end <= size - end_of_index:
            raise ShardingError(f"minishard {minishard}: index range [{start}, {end}) outside the file")
    empty = np.zeros(0, np.uint64)
    if not used:
        return ShardIndex(empty, empty, empty)
    low, high = min(start for _, start, _ in used), max(end for _, _, end in used)
    indices = read_range(end_of_index + low, high - low)
    parts = []
    for minishard, start, end in used:
        try:
            raw = _decode(indices[start - low : end - low], spec.minishard_index_encoding)
        except (OSError, EOFError, zlib.error) as error:
            raise ShardingError(f"minishard {minishard}: index does not decode ({error})") from None
        if len(raw) % 24:
            raise ShardingError(f"minishard {minishard}: index of {len(raw)} bytes, not a multiple of 24")
        index = np.frombuffer(raw, dtype="<u8").reshape(3, -1)
        lengths = index[2]
        before = np.cumsum(lengths, dtype=np.uint64) - lengths  # the lengths of the chunks before each
        starts = np.cumsum(index[1], dtype=np.uint64) + before + np.uint64(end_of_index)
        parts.append((np.cumsum(index[0], dtype=np.uint64), starts, lengths))
    ids, starts, lengths = (np.concatenate([part[i] for part in parts]) for i in range(3))
    outside = np.flatnonzero(starts + lengths > size)
    if len(outside):
        first = outside[0]
        raise ShardingError(f"chunk {ids[first]}: data [{starts[first]}, {starts[first] + lengths[first]}) outside")
    return ShardIndex(ids, starts, lengths)


def read_shard(spec: ShardingSpec, data: bytes) -> dict[int, bytes]:
    """Every chunk (id -> decoded bytes) of one shard file; :class:`ShardingError` as :func:`read_shard_index`
    or when a chunk does not decode."""
    chunks = {}
    index = read_shard_index(spec, len(data), lambda start, length: data[start : start + length])
    for chunk_id, start, length in zip(index.ids.tolist(), index.starts.tolist(), index.lengths.tolist(), strict=True):
        try:
            chunks[chunk_id] = _decode(data[start : start + length], spec.data_encoding)
        except (OSError, EOFError, zlib.error) as error:
            raise ShardingError(f"chunk {chunk_id}: data does not decode ({error})") from None
    return chunks
