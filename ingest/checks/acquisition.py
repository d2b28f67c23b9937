"""One run's acquisition as the cross-file rules see it, in the output tree or among the source files a config finds
(:class:`Acquisition`), and every finding about it: the angle rules of :mod:`ingest.checks.consistency`,
frames vs mdoc and gains (:mod:`ingest.checks.frames`), and every MRC frame and gain header
(:mod:`ingest.checks.frame_headers`). ``ingest check`` builds the acquisition from a run's keys
(:func:`consistency_findings`); the source checks before ingestion from the plan (:mod:`ingest.pipeline.source_checks`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ingest.checks.codes import check_finding
from ingest.checks.consistency import tilt_series_findings, tlt_findings
from ingest.checks.frame_headers import read_headers, sub_frame_findings, two_dee_findings
from ingest.checks.frames import frames_findings, header_findings, num
from ingest.checks.metadata import MetadataDocument
from ingest.checks.tilt_angle_files import read_angle_list, read_mdoc
from ingest.checks.tree_access import TreeReader
from ingest.domain.report import Finding, Severity
from ingest.domain.tree_roles import Placed, Role


@dataclass(frozen=True)
class RunFiles:
    """The small files of one run the consistency checks read, by role."""

    tilt_series: tuple[MetadataDocument, ...]
    alignments: tuple[MetadataDocument, ...]
    frames: MetadataDocument | None
    mdoc_key: str | None
    frame_files: tuple[str, ...]
    has_gains: bool
    keys: frozenset[str]
    frame_keys: tuple[str, ...] = ()
    gain_keys: tuple[str, ...] = ()

    @classmethod
    def of(cls, run: str, placed: Sequence[Placed], documents: Sequence[MetadataDocument]) -> RunFiles:
        """Sort the run's keys and parsed metadata documents."""
        mdocs = sorted(p.key for p in placed if p.key.endswith(".mdoc"))
        preferred = [key for key in mdocs if key.endswith(f"/Frames/{run}.mdoc")]
        frame_names = {
            p.key.split("/Frames/", 1)[1].split("/", 1)[0]
            for p in placed
            if p.role is Role.FRAMES_FILE and not p.key.endswith(".mdoc")
        }
        frames = [d for d in documents if d.placed.role is Role.FRAMES_METADATA]
        return cls(
            tuple(d for d in documents if d.placed.role is Role.TILTSERIES_METADATA),
            tuple(d for d in documents if d.placed.role is Role.ALIGNMENT_METADATA),
            frames[0] if frames else None,
            (preferred + mdocs)[0] if mdocs else None,
            tuple(sorted(frame_names)),
            any(p.role is Role.GAINS_FILE for p in placed),
            frozenset(p.key for p in placed),
            tuple(p.key for p in placed if p.role is Role.FRAMES_FILE),
            tuple(p.key for p in placed if p.role is Role.GAINS_FILE),
        )


@dataclass(frozen=True)
class Acquisition:
    """What the cross-file rules compare of one run, wherever the files live (the output tree, or the source files
    a config finds): each tilt series' metadata with its raw tilt file, the mdoc, alignment ``.tlt`` files with the
    tilt series they align, the frames metadata, and the frame and gain files."""

    tilt_series: tuple[tuple[MetadataDocument, str | None], ...]
    mdoc_key: str | None
    tlt_files: tuple[tuple[str, MetadataDocument], ...] = ()
    frames: MetadataDocument | None = None
    frame_keys: tuple[str, ...] = ()
    gain_keys: tuple[str, ...] = ()


def consistency_findings(
    reader: TreeReader, run: str, placed: Sequence[Placed], documents: Sequence[MetadataDocument]
) -> list[Finding]:
    """Every cross-file finding about one run of the tree."""
    files = RunFiles.of(run, placed, documents)
    tlt_files = []
    for alignment in files.alignments:
        folder = alignment.placed.entity_folder or ""
        named = alignment.get("tiltseries_path")
        series = [s for s in files.tilt_series if s.key == named] or list(files.tilt_series[:1])
        if series:
            tlt_keys = sorted(k for k in files.keys if k.startswith(folder + "/") and k.endswith(".tlt"))
            tlt_files += [(key, series[0]) for key in tlt_keys]
    acquisition = Acquisition(
        tuple((series, _raw_tilt_key(series, files)) for series in files.tilt_series),
        files.mdoc_key,
        tuple(tlt_files),
        files.frames,
        files.frame_keys,
        files.gain_keys,
    )
    return acquisition_findings(reader, acquisition)


def acquisition_findings(reader: TreeReader, files: Acquisition) -> list[Finding]:
    """Every cross-file finding about one run's acquisition (see :class:`Acquisition`), reading its small text
    files and the header of every MRC frame and gain (consistency, NumSubFrames, header fields)."""
    findings: list[Finding] = []
    texts = _Texts(reader, findings)
    mdoc = None
    frame_files = tuple(sorted({k.rsplit("/", 1)[-1] for k in files.frame_keys if not k.endswith(".mdoc")}))
    if files.mdoc_key is not None and (text := texts.read(files.mdoc_key)) is not None:
        mdoc, problems = read_mdoc(text, files.mdoc_key)
        findings.extend(problems)
    elif files.mdoc_key is None and (files.tilt_series or frame_files):
        what = files.tilt_series[0][0].key if files.tilt_series else files.frame_keys[0]
        findings.append(_absent("C-TILT-NO-MDOC", "no acquisition file (.mdoc) beside the tilt series or frames", what))
    raw_angles: dict[str, tuple[str, list[float]]] = {}
    for series, raw_key in files.tilt_series:
        raw = None
        if raw_key is None:
            findings.append(_absent("C-TILT-NO-RAWTLT", "no raw tilt file (.rawtlt) for the tilt series", series.key))
        elif (angles := texts.angles(raw_key)) is not None:
            raw = raw_angles[series.key] = (raw_key, angles)
        findings.extend(tilt_series_findings(series, raw, mdoc, files.frames))
    for key, series in files.tlt_files:
        angles = texts.angles(key)
        if angles:
            findings.extend(tlt_findings(key, angles, series, raw_angles.get(series.key), mdoc))
    if files.frames is not None:
        findings.extend(frames_findings(files.frames, mdoc, frame_files, has_gains=bool(files.gain_keys)))
    spacings = {s.key: v for s, _ in files.tilt_series if (v := num(s.get("pixel_spacing"))) is not None}
    findings.extend(header_findings(reader, files.frame_keys, files.gain_keys, spacings))
    frames = read_headers(reader, files.frame_keys)
    findings.extend(two_dee_findings(frames, read_headers(reader, files.gain_keys)))
    findings.extend(sub_frame_findings(frames, mdoc))
    return findings


def _absent(code: str, message: str, key: str) -> Finding:
    return check_finding(code, message, file=key, expected="one", found="none", severity=Severity.WARNING)


class _Texts:
    """Reads small text files once, reporting unreadable ones."""

    def __init__(self, reader: TreeReader, findings: list[Finding]) -> None:
        self._reader, self._findings, self._cache = reader, findings, dict[str, str | None]()

    def read(self, key: str) -> str | None:
        if key not in self._cache:
            try:
                self._cache[key] = self._reader.read_bytes(key).decode("utf-8", errors="replace")
            except OSError as error:
                self._findings.append(
                    check_finding("C-TREE-UNREADABLE", "cannot read the file", file=key, found=type(error).__name__)
                )
                self._cache[key] = None
        return self._cache[key]

    def angles(self, key: str) -> list[float] | None:
        text = self.read(key)
        if text is None:
            return None
        angles, problems = read_angle_list(text, key)
        self._findings.extend(problems)
        return angles


def _raw_tilt_key(series: MetadataDocument, files: RunFiles) -> str | None:
    named = series.get("raw_tlt_path")
    folder = series.placed.entity_folder or ""
    candidates = [named] if isinstance(named, str) and named in files.keys else []
    candidates += sorted(k for k in files.keys if k.startswith(folder + "/") and k.endswith(".rawtlt"))
    return candidates[0] if candidates else None
