"""Writing the synthesized source files: each key gets the content its config section and suffix call for.

Keys are relative to the source root (``{input}/{source_prefix}``); literal ``bucket/key`` photos are relative to
the bucket root. A picks file shared by several runs (a ``filter_value`` selects each run's rows) is rewritten with
every run's rows as runs are added.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from dm4_file import dm4_bytes
from synthetic_files import (
    DEFAULT_ACQUISITION,
    Acquisition,
    frame_bytes,
    key_photo_png,
    mdoc_text,
    picks_text,
    tilt_file_text,
    write_imod_model,
    write_volume,
)

VOLUME_KINDS = {"tomograms": "tomogram", "tiltseries": "tilt_series", "voxel_spacings": "tomogram"}
MASK_SHAPES = frozenset({"SemanticSegmentationMask", "SegmentationMask", "InstanceSegmentationMask"})
VOLUME_SUFFIXES = (".mrc", ".rec", ".st", ".ali", ".zarr")


class SourceWriter:
    """Writes synthesized files under ``source_root`` (and photos under ``bucket_root``), each once."""

    def __init__(self, bucket_root: Path, source_root: Path) -> None:
        self.bucket_root = bucket_root
        self.source_root = source_root
        self.written: list[str] = []
        self.frames_of: dict[str, list[str]] = {}
        self.shared_runs: dict[str, list[str]] = {}
        self.acquisitions: dict[str, Acquisition] = {}
        """Each run's acquisition (the config's tilt range, flux and pixel spacing)."""
        self.ctf_format = "CTFFIND"
        self.section_of: dict[str, str] = {}
        """The section each written key was written for."""

    def _target(self, key: str, root: Path | None = None) -> Path:
        path = (root or self.source_root) / key.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def write(self, key: str, section: str, run_name: str, voxel_spacing: str = "10.000", **extra: Any) -> None:
        """The file ``key`` as section ``section`` of run ``run_name`` needs it (``extra``: an annotation source)."""
        shared = section == "annotations" and extra.get("filter_value") is not None
        if key in self.written and not shared:
            return
        if key not in self.written:
            self.written.append(key)
            self.section_of[key] = section
        path = self._target(key)
        suffix = path.suffix.lower()
        spacing = float(voxel_spacing)
        acquisition = self.acquisitions.get(run_name, DEFAULT_ACQUISITION)
        sections = len(acquisition.tilts)
        if section == "tiltseries":
            write_volume(path, acquisition.pixel_spacing, "tilt_series", sections)
        elif section in VOLUME_KINDS:
            write_volume(path, spacing, VOLUME_KINDS[section])
        elif section == "annotations":
            self._annotation(path, run_name, spacing, **extra)
        elif section == "key_images" or suffix == ".png":
            path.write_bytes(key_photo_png())
        elif section == "frames":
            pixel = acquisition.frame_pixel_size
            write_volume(path, pixel, "image") if suffix == ".mrc" else path.write_bytes(frame_bytes(suffix))
            self.frames_of.setdefault(run_name, []).append(path.name)
        elif section == "gains" and suffix == ".dm4":
            gain = np.ones((16, 16), dtype=np.float32)
            path.write_bytes(dm4_bytes(gain, pixel_size=acquisition.frame_pixel_size / 10, unit="nm"))
        elif section == "gains":
            pixel = acquisition.frame_pixel_size
            write_volume(path, pixel, "image") if suffix == ".mrc" else path.write_bytes(frame_bytes(".tif"))
        elif section == "identified_objects":
            path.write_text(f"run_name,object_id,object_name\n{run_name},GO:0005840,ribosome\n")
        elif suffix == ".mdoc" or section == "collection_metadata":
            frames = self.frames_of.get(run_name) or []
            path.write_text(mdoc_text(f"{run_name}.mrc", frames[:sections], acquisition))
        else:
            ctf_format = self.ctf_format if section == "ctfs" else "CTFFIND"
            path.write_text(tilt_file_text(suffix, acquisition.tilts, ctf_format))

    def _annotation(self, path: Path, run_name: str, voxel_spacing: float, **extra: Any) -> None:
        shape, file_format, binning = extra["shape"], str(extra.get("file_format")), float(extra.get("binning") or 1)
        if shape in MASK_SHAPES:
            write_volume(path, voxel_spacing, "labels" if extra.get("threshold") is None else "probability")
        elif file_format == "mod":
            write_imod_model(path, binning)
        elif file_format == "saber":
            path.write_text("{}\n")
        else:
            runs = [run_name]
            if extra.get("filter_value") is not None:
                runs = self.shared_runs.setdefault(str(path), [])
                runs.append(str(extra["filter_value"]))
            options = {"binning": binning, "voxel_spacing": voxel_spacing, "delimiter": extra.get("delimiter")}
            path.write_bytes(picks_text(file_format, runs=runs, **options))

    def mark_present(self, key: str) -> None:
        """Make sure ``key`` exists (a run or dataset named after a file or folder nothing else was written in)."""
        if any(done == key or done.startswith(key + "/") for done in self.written):
            return
        is_file = "." in key.rsplit("/", 1)[-1]
        path = self._target(key if is_file else f"{key}/synthetic-run.txt")
        if path.suffix in VOLUME_SUFFIXES:
            write_volume(path, 10.0)
        else:
            path.write_text("synthetic run\n")
        self.written.append(str(path.relative_to(self.source_root)))

    def text(self, key: str, content: str) -> None:
        """A text file (run data map, run-to-name map)."""
        self._target(key).write_text(content)

    def mesh(self, key: str) -> None:
        """A mesh file a ``mesh_source_path`` names: a 20 Å box (glb, or the format its extension names)."""
        if key not in self.written:
            import trimesh

            box = trimesh.creation.box(extents=(20.0, 20.0, 20.0))
            suffix = Path(key).suffix.lower().lstrip(".")
            data = box.export(file_type=suffix if suffix in ("obj", "stl", "glb") else "glb")
            self._target(key).write_bytes(data.encode() if isinstance(data, str) else data)
            self.written.append(key)

    def bucket_photo(self, value: str) -> None:
        """A key photo given as ``bucket/key``, under the bucket root."""
        self._target(value, self.bucket_root).write_bytes(key_photo_png())
        self.written.append(value)
