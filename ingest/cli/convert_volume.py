"""``ingest convert volume``: one MRC or OME-Zarr source to a 3-level OME-Zarr (and the canonical MRC)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ingest.cli.numbers import FINITE, POSITIVE
from ingest.cli.vocabulary import AXES, SuggestingChoice, storage_options_option, workers_option
from ingest.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from ingest.converters.volumes.convert import ProgressCallback, VolumeResult

VOLUME_KINDS = ("tomogram", "tiltseries", "semantic-mask", "instance-mask")
"""The values of :class:`ingest.converters.volumes.types.VolumeKind` (kept here so that ``--help`` imports no dask)."""
NGFF_VERSIONS = ("0.4", "0.5")
"""The values of :class:`ingest.converters.volumes.ome_zarr.NgffVersion`."""


@click.command("volume")
@click.argument("source")
@click.argument("zarr_out", metavar="DST.zarr")
@click.option("--voxel-spacing", type=POSITIVE, required=True, help="Voxel spacing in Å (wins over the header).")
@click.option(
    "--kind",
    type=SuggestingChoice(VOLUME_KINDS),
    default="tomogram",
    show_default=True,
)
@click.option("--mask-label", type=FINITE, help="Semantic mask: voxels equal to this value are the object.")
@click.option("--threshold", type=FINITE, help="Semantic mask: voxels at or above this value are the object.")
@click.option(
    "--rescale-to", type=AXES,
    help="Masks: regrid to this size in voxels, X,Y,Z like --tomogram-size (nearest neighbour); the labelled form "
    "x=..,y=..,z=.. is accepted too.",
)  # fmt: skip
@click.option("--mrc", "mrc_out", metavar="FILE|URL", help="Also write the canonical MRC here.")
@click.option("--ngff", type=SuggestingChoice(NGFF_VERSIONS), default="0.4", show_default=True)
@workers_option("Threads converting chunks (default: the usable cores).")
@storage_options_option()
def convert_volume_command(
    source: str,
    zarr_out: str,
    voxel_spacing: float,
    kind: str,
    mask_label: float | None,
    threshold: float | None,
    rescale_to: tuple[int, int, int] | None,
    mrc_out: str | None,
    ngff: str,
    workers: int | None,
    storage_options: tuple[str, ...],
) -> None:
    """Convert SOURCE (MRC file or OME-Zarr folder) into DST.zarr: 3 levels, NGFF 0.4 (or 0.5).

    SOURCE, DST.zarr and --mrc are local paths, file:// or s3:// URLs (with --storage-option): an OME-Zarr URL is
    read in place, an MRC URL through a temporary local copy; outputs to s3:// are published when complete.
    """
    from contextlib import ExitStack

    from rich.console import Console

    from ingest.converters.volumes.convert import VolumeKind, convert_volume
    from ingest.converters.volumes.masks import MaskLabel, MaskRule, MaskThreshold
    from ingest.converters.volumes.ome_zarr import NgffVersion
    from ingest.storage.base import parse_storage_options, typed_storage_options
    from ingest.storage.locations import published, refuse_same_locations, source_kind

    if mask_label is not None and threshold is not None:
        raise UsageError("give --mask-label or --threshold, not both")
    mask: MaskRule | None = None
    if mask_label is not None:
        mask = MaskLabel(mask_label)
    elif threshold is not None:
        mask = MaskThreshold(threshold)
    options = parse_storage_options(storage_options)
    outputs = {"the OME-Zarr output": zarr_out, **({"the MRC output": mrc_out} if mrc_out is not None else {})}
    refuse_same_locations(outputs, {"the source volume": source})
    source_is = source_kind(source, options, what=_SOURCE)  # a missing source or unreachable storage: exit 2 now
    console = Console(stderr=True)
    with ExitStack() as stack:
        zarr_local = stack.enter_context(published(zarr_out, options, what="DST.zarr", folder_ok=True))
        mrc_local = stack.enter_context(published(mrc_out, options, what="--mrc")) if mrc_out is not None else None
        volume, named = stack.enter_context(_volume_source(source, source_is, options))
        with _progress_bar(console) as progress:
            result = convert_volume(
                volume,
                zarr_local.path,
                voxel_spacing=voxel_spacing,
                kind=VolumeKind(kind),
                mrc_out=mrc_local.path if mrc_local is not None else None,
                mask=mask,
                ngff=NgffVersion(ngff),
                rescale_to=(rescale_to[2], rescale_to[1], rescale_to[0]) if rescale_to else None,  # X,Y,Z → Z,Y,X
                progress=progress,
                workers=workers,
                storage_options=typed_storage_options(options) if isinstance(volume, str) else None,
            )
    for warning in result.warnings:
        click.echo(f"warning: {named(warning)}", err=True)
    click.echo(_summary(result, zarr_out, mrc_out))


_SOURCE = "the source volume"


@contextmanager
def _volume_source(
    source: str, kind: str, options: dict[str, str]
) -> Iterator[tuple[Path | str, Callable[[str], str]]]:
    """What :func:`convert_volume` reads for SOURCE (a file or folder, as ``kind`` says) and how messages name it:
    a local path; for a URL, an OME-Zarr read in place (the URL itself) or an MRC through a temporary local copy
    (:meth:`Storage.fetch`, as the deposition reads its sources)."""
    from ingest.storage.locations import FOLDER, fetched, local_path

    local = local_path(source)
    if local is not None:
        yield local, str
    elif kind == FOLDER:
        yield source, str
    else:
        click.echo(f"fetching {source} to a temporary local copy ...", err=True)
        with fetched(source, options, what=_SOURCE) as copy:
            yield copy.path, copy.named


@contextmanager
def _progress_bar(console: Console) -> Iterator[ProgressCallback | None]:
    """A rich bar over chunks (elapsed time and estimated time left) when stderr is a terminal; no output
    otherwise."""
    from rich.progress import Progress

    from ingest.pipeline.progress_display import progress_columns

    if not console.is_terminal or os.environ.get("TERM") == "dumb":
        yield None
        return
    with Progress(*progress_columns(), console=console, transient=True) as bar:
        task = bar.add_task("chunks", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


def _summary(result: VolumeResult, zarr_out: str, mrc_out: str | None) -> str:
    lines = [f"{zarr_out}: {result.kind.value} {result.dtype}, NGFF {result.ngff.value}"]
    for level in result.levels:
        shape = "x".join(str(n) for n in level.shape)
        lines.append(f"  level {level.path}: {shape} voxels, scale {level.scale[0]:g} Å (z)")
    stats = result.stats
    lines.append(f"  values: min {stats.min:g}, max {stats.max:g}, mean {stats.mean:g}, rms {stats.rms:g}")
    if result.kind.value == "instance-mask":
        lines.append(f"  labels: {result.object_count}")
    if mrc_out is not None:
        lines.append(f"{mrc_out}: canonical MRC, voxel {result.voxel_spacing:g} Å")
    return "\n".join(lines)
