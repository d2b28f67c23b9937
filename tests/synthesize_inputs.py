"""Synthesize, from a portal deposition config alone, a minimal input tree that satisfies every finder.

``synthesize_inputs(config, root)`` reads the config's finders (``source_glob`` list_glob + match_regex/name_regex,
``source_multi_glob``, ``literal``, ``tomogram_header``, the run data map and run-to-name maps) and writes, for one
or two runs, a concrete file for every path they look for: tiny MRC and OME-Zarr volumes at the run's voxel size,
masks, picks in the declared formats (shared files hold rows for every run their ``filter_value`` selects), mdoc,
raw tilts, IMOD/AreTomo files, CTF estimates, frames, gains and key photos. Nothing is written per config by hand.

Layout: ``root`` is the bucket root (``--bucket-root``): literals such as key photos given as ``bucket/key`` land
at ``root/bucket/key``; the input (``--input``) is ``root/INPUT_BUCKET`` and the sources are under its
``source_prefix``. For a ``deposition_*.yaml`` that extends an existing dataset tree, pass that tree as ``output``:
dataset, run and voxel-spacing names then come from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from synthetic_acquisition import acquisition_of, entry_value
from synthetic_context import (
    MAPS,
    RunValues,
    builtin,
    fields_of,
    fill_template,
    metadata_slots,
    read_pairs,
    read_table,
    slot_value,
    table_text,
)
from synthetic_paths import finder_accepts, invent_path, iter_run_like_names
from synthetic_writer import SourceWriter

from ingest.config.load import read_config
from ingest.models.ingestion_config import ParentFilters
from ingest.plan.sources import Listing, parents_allowed

INPUT_BUCKET = "cryoetportal-rawdatasets-dev"
"""The input bucket's folder under the bucket root (the portal's own input bucket name)."""
_RUN_SECTIONS = ("tiltseries", "alignments", "frames", "gains", "ctfs", "rawtilts", "collection_metadata")
_RUN_SECTIONS += ("identified_objects",)
_VS_SECTIONS = ("tomograms", "key_images", "annotations")
_EXTENSIONS = {"tomograms": ".mrc", "tiltseries": ".mrc", "key_images": ".png", "collection_metadata": ".mdoc"}
_EXTENSIONS |= {"frames": ".tif", "ctfs": ".txt", "rawtilts": ".rawtlt", "gains": ".mrc", "alignments": ".xf"}
_EXTENSIONS |= {"identified_objects": ".csv"}
_PICK_EXTENSIONS = {"mrc": ".mrc", "zarr": ".zarr", "copick": ".json", "mod": ".mod", "tardis": ".csv", "csv": ".csv"}
_PICK_EXTENSIONS |= dict.fromkeys(("relion3_star", "relion4_star", "stopgap_star", "tomoman_relion_star"), ".star")


@dataclass
class SyntheticInputs:
    """What was synthesized: the roots to pass to ``ingest deposition``, the runs and every file written."""

    bucket_root: Path
    input_root: Path
    dataset: str
    runs: list[str]
    voxel_spacings: dict[str, list[str]] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)


class _Synthesizer:
    def __init__(self, config: Path, root: Path, output: Path | None, run_count: int) -> None:
        self.config_path = config
        self.data: dict[str, Any] = read_config(config).document.data
        self.standard = self.data.get("standardization_config") or {}
        self.prefix = str(self.standard.get("source_prefix") or "").strip("/")
        self.root = root
        self.input_root = root / INPUT_BUCKET
        self.source_root = self.input_root / self.prefix if self.prefix else self.input_root
        self.full_prefix = f"{INPUT_BUCKET}/{self.prefix}".rstrip("/")
        self.output = output
        self.run_count = run_count
        self.writer = SourceWriter(root, self.source_root)
        self.result = SyntheticInputs(root, self.input_root, "", [], written=self.writer.written)
        self.dataset_path: str | None = None
        self.run_paths: dict[str, str] = {}
        self.run_homes: dict[str, str] = {}
        """The folder each run was found in (its own folder, or the folder of the file it is named after)."""

    # ----- names: deposition, dataset, runs, voxel spacings -------------------------------------------------------

    def sources(self, section: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        entries = self.data.get(section) or []
        return [(e, s) for e in entries if isinstance(e, dict) for s in e.get("sources") or [] if isinstance(s, dict)]

    def literal_first(self, section: str) -> str | None:
        for _, source in self.sources(section):
            values = (source.get("literal") or {}).get("value")
            if isinstance(values, list) and values:
                return str(values[0])
        return None

    def existing(self, *parts: str) -> list[str]:
        if self.output is None:
            return []
        folder = self.output.joinpath(*parts)
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []

    def choose_dataset(self, base: dict[str, str]) -> str:
        literal = self.literal_first("datasets")
        if literal is not None:
            return literal
        wanted = [d for d in self.existing() if d.isdigit()] or [None]
        for _, source in self.sources("datasets"):
            finder = source.get("source_glob")
            for want in wanted:
                if finder and (path := self.invent(finder, RunValues(dict(base)), want=want)):
                    self.dataset_path = path
                    return want or self.name_of(path, finder)
        return "10000"

    def existing_runs(self) -> list[str]:
        if self.output is None:
            return []
        folder = self.output / self.result.dataset
        return [name for name in self.existing(self.result.dataset) if (folder / name / "run_metadata.json").is_file()]

    def run_candidates(self, real_rows: list[str]) -> list[str | None]:
        if known := self.existing_runs():
            return [*known]
        return [*real_rows, *([None] * (self.run_count + 2) if not real_rows else [])]

    def choose_runs(self, base: dict[str, str], real_rows: list[str]) -> list[tuple[str, str | None]]:
        """(run name, its path under the source root or None) for up to ``run_count`` runs; every source of the
        runs section finds at least one of them (a source that cannot find a chosen run adds a run of its own)."""
        chosen: list[tuple[str, str | None]] = []
        for _, source in self.sources("runs"):
            if "literal" in source:
                return [(str(v), None) for v in source["literal"]["value"][: self.run_count]]
            if "destination_glob" in source:
                return [(r, None) for r in self.existing_runs()[: self.run_count]]
            finder = source.get("source_glob")
            if not finder:
                continue
            wanted = self.run_count if not chosen else 1
            found_here = 0
            for want in self.run_candidates(real_rows):
                if found_here >= wanted or (want is not None and want in dict(chosen)):
                    continue
                avoid = [p for _, p in chosen if p]
                path = self.invent(
                    finder,
                    RunValues(dict(base)),
                    want=want,
                    exclude=source.get("exclude"),
                    avoid=avoid,
                    avoid_names=[n for n, _ in chosen],
                )
                name = want or (self.name_of(path, finder) if path else None)
                if path is None or name in dict(chosen):
                    continue
                chosen.append((name, path))
                found_here += 1
        return chosen

    @staticmethod
    def name_of(path: str, finder: dict[str, Any]) -> str:
        base = path.rsplit("/", 1)[-1]
        found = re.match(finder.get("name_regex") or "(.*)", base)
        return (found.group(1) if found.re.groups else found.group(0)) if found else base

    def voxel_spacings(self, run: RunValues) -> list[str]:
        names: list[str] = []
        for _, source in self.sources("voxel_spacings"):
            if not self.allowed(source, run, None):
                continue
            if "literal" in source:
                for value in source["literal"]["value"]:
                    text = str(value)
                    for name in fields_of(text):
                        run.values.setdefault(name, "10.0")
                    rendered = text.split(" ", 1)[-1] if text.startswith(("float ", "int ")) else text
                    names.append(f"{float(rendered.format_map(run.values)):.3f}")
            elif "destination_glob" in source:
                folder = [self.result.dataset, run.values["run_name"], "Reconstructions"]
                names += [d.removeprefix("VoxelSpacing") for d in self.existing(*folder) if d.startswith("Voxel")]
            elif "tomogram_header" in source:
                path = self.invent(source["tomogram_header"], run, extension=".mrc")
                if path:
                    self.writer.write(path, "tomograms", run.values["run_name"], "10.000")
                    names.append("10.000")
        return list(dict.fromkeys(names)) or ["10.000"]

    # ----- finders ------------------------------------------------------------------------------------------------

    def invent(
        self, finder: dict[str, Any], run: RunValues, *, want: str | None = None, extension: str = "", **more: Any
    ) -> str | None:
        template = str(finder.get("list_glob") or "")
        exclude = more.get("exclude") or []

        def invent(glob: str) -> str | None:
            accept_extra = exclude or None
            own = self.run_paths.get(run.values.get("run_name", ""))
            if own and own not in self.result.written and own in Listing.of([own], root="run").glob(glob):
                accepts = finder_accepts(self.full_prefix, finder.get("match_regex"), finder.get("name_regex"), want)
                if accepts(own):
                    return own  # the run's own file (a run named after its tilt series, say) is this source
            path = invent_path(
                glob,
                full_prefix=self.full_prefix,
                match_regex=finder.get("match_regex"),
                name_regex=finder.get("name_regex"),
                want_name=want,
                extension=extension,
                extra_tokens=[run.values["run_name"]] if run.values.get("run_name") else [*iter_run_like_names()],
                avoid=more.get("avoid") or (),
                avoid_names=more.get("avoid_names") or (),
            )
            if path and accept_extra and any(re.search(p, path) for p in accept_extra):
                return None
            return path

        return fill_template(template, run, invent=invent)

    def allowed(self, source: dict[str, Any], run: RunValues, voxel_spacing: str | None) -> bool:
        filters = source.get("parent_filters")
        if not filters:
            return True
        parents = {"dataset": self.result.dataset, "run": run.values.get("run_name", "")}
        if voxel_spacing is not None:
            parents["voxel_spacing"] = voxel_spacing
        return parents_allowed(ParentFilters.model_validate(filters), parents)

    # ----- the walk -------------------------------------------------------------------------------------------------

    def run_data(self) -> tuple[list[dict[str, str]], list[str]]:
        """The real run data map beside the config (rows, columns), or none."""
        name = self.standard.get("run_data_map_file")
        real = self.config_path.parent / str(name) if name else None
        if real is not None and real.is_file():
            rows = read_table(real)
            return rows, list(rows[0]) if rows else []
        return [], []

    def columns_used(self) -> dict[str, tuple[str, bool]]:
        """Every non-built-in field of the config: (a metadata slot using it, whether it is cast)."""
        used: dict[str, tuple[str, bool]] = {}
        for section, entries in self.data.items():
            if not isinstance(entries, list):
                continue
            for slot, text in metadata_slots(entries, section):
                cast = text.startswith(("float ", "int "))
                for name in fields_of(text):
                    if not builtin(name) and (name not in used or cast):
                        used[name] = (slot, cast)
        return used

    def synthesize(self) -> SyntheticInputs:
        deposition = self.literal_first("depositions") or str(self.standard.get("deposition_id", ""))
        base = {"deposition_name": deposition}
        self.result.dataset = self.choose_dataset(base)
        base |= {"dataset_name": self.result.dataset, "dataset_output_path": self.result.dataset}
        rows, columns = self.run_data()
        used = self.columns_used()
        by_run = {row.get("run_name", ""): row for row in rows}
        maps = {
            field_name: read_pairs(self.config_path.parent / str(self.standard[key]))
            for key, field_name in MAPS.items()
            if self.standard.get(key) and (self.config_path.parent / str(self.standard[key])).is_file()
        }
        runs = self.choose_runs(base, [r for r in by_run if all(r in m for m in maps.values())] if rows else [])
        contexts: list[RunValues] = []
        for run_name, _ in runs:
            values = dict(base) | {"run_name": run_name, "run_output_path": f"{self.result.dataset}/{run_name}"}
            if run_name.isdigit():
                values["int_run_name"] = str(int(run_name))
            run = RunValues(values)
            row = by_run.get(run_name)
            for name, (slot, cast) in used.items():
                if row is not None and name in row:
                    run.values[name] = row[name]
                elif name in maps.values():
                    mapped = next(m for f, m in maps.items() if f == name)
                    if run_name in mapped:
                        run.values[name] = mapped[run_name]
                elif name in MAPS.values() or (not cast and slot in ("list_glob", "list_globs", "glob_string")):
                    run.free.add(name)
                else:
                    run.values[name] = slot_value(slot, cast)
            for field_name, mapped in maps.items():
                if run_name in mapped:
                    run.values[field_name] = mapped[run_name]
            run.free |= {n for n in MAPS.values() if n not in run.values}
            contexts.append(run)
        self.result.runs = [name for name, _ in runs]
        self.run_paths = {name: path for name, path in runs if path and "." in path.rsplit("/", 1)[-1]}
        self.run_homes = {n: p.rsplit("/", 1)[0] if n in self.run_paths else p for n, p in runs if p}
        self.writer.ctf_format = str(entry_value(self.data, "ctfs", {}, "format") or "CTFFIND")
        for run in contexts:
            self.writer.acquisitions[run.values["run_name"]] = acquisition_of(self.data, run.values)
            spacings = self.voxel_spacings(run)
            self.result.voxel_spacings[run.values["run_name"]] = spacings
            for section in ("frames", *(s for s in _RUN_SECTIONS if s != "frames")):
                self.walk_section(section, run, spacings[0])
            for spacing in spacings:
                run.values["voxel_spacing_name"] = spacing
                for section in _VS_SECTIONS:
                    self.walk_section(section, run, spacing)
        self.ensure_run_paths(runs)
        self.write_maps(rows, columns, contexts)
        self.write_literal_photos()
        return self.result

    def at_home(self, glob: str, run: RunValues) -> bool:
        """Whether ``glob`` (a source glob) looks in the folder the run was found in, or below it."""
        home = self.run_homes.get(run.values.get("run_name", ""))
        if not home:
            return False
        parts = glob.replace("{run_name}", run.values["run_name"]).strip("/").split("/")
        wanted = home.split("/")
        return len(parts) > len(wanted) and all(fnmatchcase(h, p) for h, p in zip(wanted, parts, strict=False))

    def home_first(self, section: str, run: RunValues) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """The sources of ``section``, entry by entry; within an entry (alternative places of one file, e.g. one
        source per data set folder) the sources that look in the run's own folder come first, so the file the
        synthesizer writes for a run lands where the run was found."""
        order = {id(entry): i for i, (entry, _) in enumerate(self.sources(section))}

        def key(item: tuple[dict[str, Any], dict[str, Any]]) -> tuple[int, bool]:
            finder = item[1].get("source_glob") or {}
            globs = [finder.get("list_glob"), *((item[1].get("source_multi_glob") or {}).get("list_globs") or [])]
            return order[id(item[0])], not any(isinstance(g, str) and self.at_home(g, run) for g in globs)

        return sorted(self.sources(section), key=key)

    def walk_section(self, section: str, run: RunValues, spacing: str) -> None:
        level = spacing if section in _VS_SECTIONS else None
        names_of: dict[int, set[str]] = {}
        for entry, source in self.home_first(section, run):
            if not self.allowed(source, run, level):
                continue
            exclude = source.get("exclude")
            if section == "annotations":
                for shape, spec in source.items():
                    if shape in ("parent_filters", "exclude") or not isinstance(spec, dict):
                        continue
                    mesh = spec.get("mesh_source_path")
                    if isinstance(mesh, str):
                        self.writer.mesh(mesh)
                    globs = spec.get("glob_strings") or [spec.get("glob_string")]
                    for glob in [g for g in globs if g]:
                        filter_value = spec.get("filter_value")
                        extra = dict(spec, shape=shape)
                        if filter_value is not None:
                            extra["filter_value"] = str(filter_value).format_map(_Missing(run.values))
                        self.place({"list_glob": glob}, section, run, spacing, **extra)
                continue
            names = names_of.setdefault(id(entry), set())  # sources for other places of one file: write the first
            if "source_glob" in source:
                self.place(source["source_glob"], section, run, spacing, exclude=exclude, names=names)
            elif "source_multi_glob" in source:
                globs = source["source_multi_glob"].get("list_globs") or []
                for glob in sorted(globs, key=lambda g: not self.at_home(str(g), run)):
                    self.place({"list_glob": glob}, section, run, spacing, exclude=exclude, names=names)

    def place(self, finder: dict[str, Any], section: str, run: RunValues, spacing: str, **extra: Any) -> None:
        extension = extra.pop("extension", "") or _EXTENSIONS.get(section, "")
        if section == "annotations":
            extension = _PICK_EXTENSIONS.get(str(extra.get("file_format")), "")
        names = extra.pop("names", None)
        exclude = extra.pop("exclude", None)
        before = (dict(run.values), set(run.free))
        path = self.invent(finder, run, extension=extension, exclude=exclude)
        taken = [key for key, owner in self.writer.section_of.items() if owner != section]
        if path in taken:  # a file of another kind (a gain where the tilt series is): find one of this kind
            found, run.values, run.free = path, *before
            path = self.invent(finder, run, extension=extension, exclude=exclude, avoid=taken)
            if path is None:
                path = self.invent(finder, run, extension=extension, exclude=exclude) or found
        if path is not None and names is not None:
            if path.rsplit("/", 1)[-1] in names:
                return
            names.add(path.rsplit("/", 1)[-1])
        if path is None:
            self.result.unmatched.append(f"{section}: {finder.get('list_glob')} (run {run.values.get('run_name')})")
            return
        self.writer.write(path, section, run.values["run_name"], spacing, **extra)

    def ensure_run_paths(self, runs: list[tuple[str, str | None]]) -> None:
        for path in [p for _, p in runs] + [self.dataset_path]:
            if path is not None:
                self.writer.mark_present(path)

    def write_maps(self, rows: list[dict[str, str]], columns: list[str], contexts: list[RunValues]) -> None:
        name = self.standard.get("run_data_map_file")
        if name:
            names = {run.values["run_name"] for run in contexts}
            if rows:
                kept = [row for row in rows if row.get("run_name") in names]
            else:
                columns = ["run_name", *self.columns_used()]
                kept = [{c: run.values.get(c, "1") for c in columns} for run in contexts]
            self.writer.text(str(name), table_text(kept, columns, str(name).endswith("tsv")))
        for key, field_name in MAPS.items():
            if self.standard.get(key):
                lines = "".join(f"{run.values['run_name']},{run.values.get(field_name, '')}\n" for run in contexts)
                self.writer.text(str(self.standard[key]), lines)

    def write_literal_photos(self) -> None:
        for section in ("dataset_keyphotos", "deposition_keyphotos"):
            for _, source in self.sources(section):
                value = (source.get("literal") or {}).get("value")
                paths = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
                for photo in paths:
                    if isinstance(photo, str) and "://" not in photo and "{" not in photo:
                        self.writer.bucket_photo(photo)


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "1"


def synthesize_inputs(config: Path, root: Path, *, runs: int = 1, output: Path | None = None) -> SyntheticInputs:
    """Write a minimal input tree for ``config`` under ``root`` (see the module docstring) and say what it holds."""
    return _Synthesizer(config, root, output, runs).synthesize()
