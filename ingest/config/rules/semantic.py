"""Offline semantic rules on config metadata (the rules the portal enforces beyond its schema).

Rules read the plain config data defensively (a value of the wrong type is the schema's finding, not theirs), so
they run on invalid configs too and every problem is reported in one pass. Source-entry rules live in
:mod:`ingest.config.rules.finders`; identifier patterns are the schema's (:mod:`ingest.config.rules.schema`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ingest.config.positioned_yaml import ConfigPath, YamlDocument
from ingest.config.rules.camera_models import check_camera_model
from ingest.config.rules.finders import finder_findings
from ingest.config.rules.located import finding_at, show
from ingest.config.rules.sections import metadata_of
from ingest.config.rules.sources import source_rule_findings
from ingest.domain.report import Finding, Severity

Rule = Callable[[YamlDocument], Iterable[Finding]]

INGEST_ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*-[0-9]+$")
_DATE_ORDER = ("deposition_date", "release_date", "last_modified_date")
_DATE_PAIRS = (
    ("deposition_date", "release_date", Severity.ERROR),
    ("deposition_date", "last_modified_date", Severity.WARNING),
    ("release_date", "last_modified_date", Severity.WARNING),
)
# Datasets the portal ingested with tilt series but without collection_metadata; its validator exempts them
# through its exclusions file, so they get a warning here instead of an error.
LEGACY_DATASETS_WITHOUT_COLLECTION_METADATA = frozenset({10006})
_AUTHORED_SECTIONS = ("depositions", "datasets", "annotations", "tomograms")
_SAMPLE_TYPE_NEEDS = {
    "organism": "tissue",
    "organoid": "tissue",
    "tissue": "tissue",
    "cell_line": "cell_strain",
    "primary_cell_culture": "cell_type",
    "organelle": "cell_component",
    "virus": "cell_component",
}


def check_date_order(document: YamlDocument) -> Iterator[Finding]:
    """deposition_date <= release_date <= last_modified_date wherever a ``dates`` block appears.

    A deposition date after the release date is an error (the portal rejects it). A last modification before either
    other date is only a warning: the portal accepts it and real configs have it (10002, 10436, 10440).
    """
    for section in ("depositions", "datasets", "annotations", "tomograms", "tiltseries"):
        for path, metadata in metadata_of(document.data, section):
            dates = metadata.get("dates")
            if not isinstance(dates, dict):
                continue
            parsed = {name: _as_date(dates.get(name)) for name in _DATE_ORDER}
            for early_name, late_name, severity in _DATE_PAIRS:
                early, late = parsed[early_name], parsed[late_name]
                if early is None or late is None or early <= late:
                    continue
                yield finding_at(
                    document,
                    (*path, "dates", late_name),
                    code="E-DATE-ORDER" if severity is Severity.ERROR else "W-DATE-ORDER",
                    severity=severity,
                    message=f"{late_name} is before {early_name}",
                    expected=f"{late_name} on or after {early_name} ({early.isoformat()})",
                    found=late.isoformat(),
                )


def check_author_roles(document: YamlDocument) -> Iterator[Finding]:
    """Every author list has at least one primary and one corresponding author."""
    for section in _AUTHORED_SECTIONS:
        for path, metadata in metadata_of(document.data, section):
            authors = metadata.get("authors")
            if not isinstance(authors, list) or not authors:
                continue
            people = [a for a in authors if isinstance(a, dict)]
            for flag, code, role in (
                ("primary_author_status", "E-AUTHOR-PRIMARY", "primary"),
                ("corresponding_author_status", "E-AUTHOR-CORRESPONDING", "corresponding"),
            ):
                if not any(person.get(flag) is True for person in people):
                    yield finding_at(
                        document,
                        (*path, "authors"),
                        code=code,
                        message=f"no {role} author",
                        expected=f"at least one author with {flag}: true",
                        found=f"{len(people)} author(s), none {role}",
                    )


def check_unique_ingest_ids(document: YamlDocument) -> Iterator[Finding]:
    """``annotation_ingest_id`` is unique within the config (an error) and follows the pattern of the portal's schema
    (a warning only: the portal ran 10485-10489 with ``byu_kaggle_flagellar_motor_10485``-style ids)."""
    first_seen: dict[str, ConfigPath] = {}
    for path, metadata in metadata_of(document.data, "annotations"):
        ingest_id = metadata.get("annotation_ingest_id")
        if not isinstance(ingest_id, str):
            continue
        here = (*path, "annotation_ingest_id")
        if not INGEST_ID_PATTERN.match(ingest_id):
            yield finding_at(
                document,
                here,
                code="W-INGEST-ID-PATTERN",
                severity=Severity.WARNING,
                message="annotation_ingest_id does not match the pattern of the portal's schema "
                "(a warning: the portal's validator does not enforce it and ingested 10485-10489 with such ids)",
                expected=f"text matching {INGEST_ID_PATTERN.pattern}, e.g. cytosolic-ribosome-1",
                found=show(ingest_id),
            )
        if ingest_id in first_seen:
            earlier = finding_at(document, first_seen[ingest_id], code="", message="")
            yield finding_at(
                document,
                here,
                code="E-INGEST-ID-DUPLICATE",
                message=f"annotation_ingest_id {ingest_id!r} is already used at line {earlier.line}",
                expected="a unique annotation_ingest_id",
                found=show(ingest_id),
            )
        else:
            first_seen[ingest_id] = here


def check_annotation_confidence(document: YamlDocument) -> Iterator[Finding]:
    """precision/recall only with ground_truth_used; automated annotations are not ground truth."""
    for path, metadata in metadata_of(document.data, "annotations"):
        confidence = metadata.get("confidence")
        if isinstance(confidence, dict):
            used = confidence.get("ground_truth_used")
            has_ground_truth = isinstance(used, str) and used.strip() != ""
            for measure in ("precision", "recall"):
                if confidence.get(measure) is not None and not has_ground_truth:
                    yield finding_at(
                        document,
                        (*path, "confidence", measure),
                        code="E-CONFIDENCE-WITHOUT-GROUND-TRUTH",
                        message=f"{measure} is given but ground_truth_used is not",
                        expected="ground_truth_used naming the ground truth, or no precision/recall",
                        found=show(confidence.get(measure)),
                    )
        if metadata.get("method_type") == "automated" and metadata.get("ground_truth_status") is True:
            yield finding_at(
                document,
                (*path, "ground_truth_status"),
                code="E-AUTOMATED-GROUND-TRUTH",
                message="an automated annotation cannot be ground truth",
                expected="ground_truth_status: false when method_type is automated",
                found="true",
            )


def check_sample_type(document: YamlDocument) -> Iterator[Finding]:
    """Each sample type names the ontology term it depends on (organism needs tissue, cell_line cell_strain...)."""
    for path, metadata in metadata_of(document.data, "datasets"):
        sample_type = metadata.get("sample_type")
        needed = _SAMPLE_TYPE_NEEDS.get(sample_type) if isinstance(sample_type, str) else None
        if needed is None:
            continue
        term = metadata.get(needed)
        if not (isinstance(term, dict) and term.get("id") is not None and term.get("name") is not None):
            yield finding_at(
                document,
                (*path, "sample_type"),
                code="E-SAMPLE-TYPE-COUPLING",
                message=f"sample_type {sample_type} needs {needed} with an id and a name",
                expected=f"{needed}: {{id: ..., name: ...}}",
                found=f"{needed}: {show(term)}" if term is not None else f"no {needed}",
            )


def check_development_stage(document: YamlDocument) -> Iterator[Finding]:
    """Development stage id is ``unknown`` exactly when its name is ``unknown``."""
    for path, metadata in metadata_of(document.data, "datasets"):
        stage = metadata.get("development_stage")
        if not isinstance(stage, dict):
            continue
        id_unknown, name_unknown = stage.get("id") == "unknown", stage.get("name") == "unknown"
        if id_unknown != name_unknown:
            field = "name" if id_unknown else "id"
            yield finding_at(
                document,
                (*path, "development_stage", field),
                code="E-DEV-STAGE-UNKNOWN",
                message="development stage id and name must both be 'unknown' or both be known",
                expected=f"{field}: unknown" if id_unknown else f"a known {field} (the name is known)",
                found=show(stage.get(field)),
            )


def check_tilt_range(document: YamlDocument) -> Iterator[Finding]:
    """tilt_range min <= max (templated values are checked once rendered)."""
    for path, metadata in metadata_of(document.data, "tiltseries"):
        tilt_range = metadata.get("tilt_range")
        if not isinstance(tilt_range, dict):
            continue
        low, high = _number(tilt_range.get("min")), _number(tilt_range.get("max"))
        if low is not None and high is not None and low > high:
            yield finding_at(
                document,
                (*path, "tilt_range", "min"),
                code="E-TILT-RANGE",
                message="tilt_range min is greater than max",
                expected=f"min <= max ({high})",
                found=show(low),
            )


def check_dose_rate(document: YamlDocument) -> Iterator[Finding]:
    """Frame dose_rate is positive."""
    for path, metadata in metadata_of(document.data, "frames"):
        dose_rate = _number(metadata.get("dose_rate"))
        if dose_rate is not None and dose_rate <= 0:
            yield finding_at(
                document,
                (*path, "dose_rate"),
                code="E-DOSE-RATE",
                message="dose_rate must be greater than zero",
                expected="> 0 (electrons per square ångström per frame)",
                found=show(dose_rate),
            )


def check_section_dependencies(document: YamlDocument) -> Iterator[Finding]:
    """collection_metadata requires frames; tiltseries requires collection_metadata."""
    data = document.data if isinstance(document.data, dict) else {}
    if data.get("collection_metadata") and not data.get("frames"):
        yield finding_at(
            document,
            ("collection_metadata",),
            code="E-FRAMES-MISSING",
            message="collection_metadata is present but there is no frames section",
            expected="a frames section (use sources: [{literal: {value: [default]}}] when no frames are deposited)",
            found="no frames",
        )
    if data.get("tiltseries") and not data.get("collection_metadata"):
        exempt = _dataset_ids(data) & LEGACY_DATASETS_WITHOUT_COLLECTION_METADATA
        yield finding_at(
            document,
            ("tiltseries",),
            code="W-COLLECTION-METADATA-MISSING" if exempt else "E-COLLECTION-METADATA-MISSING",
            severity=Severity.WARNING if exempt else Severity.ERROR,
            message="tiltseries is present but there is no collection_metadata (mdoc) section"
            + (f" (allowed for legacy dataset {min(exempt)})" if exempt else ""),
            expected="a collection_metadata section with the tilt series' acquisition metadata",
            found="no collection_metadata",
        )


def _dataset_ids(data: dict[str, Any]) -> set[int]:
    ids = {metadata.get("dataset_identifier") for _, metadata in metadata_of(data, "datasets")}
    return {value for value in ids if isinstance(value, int)}


RULES: tuple[Rule, ...] = (
    check_date_order,
    check_author_roles,
    check_unique_ingest_ids,
    check_annotation_confidence,
    check_sample_type,
    check_development_stage,
    check_tilt_range,
    check_dose_rate,
    check_section_dependencies,
    check_camera_model,
    finder_findings,
    source_rule_findings,
)


def semantic_findings(document: YamlDocument) -> list[Finding]:
    """Every finding of every offline semantic rule."""
    return [finding for rule in RULES for finding in rule(document)]


def _number(value: Any) -> float | None:
    """The value when it is a number (templated strings and booleans are not)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None
