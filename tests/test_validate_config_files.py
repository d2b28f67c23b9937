"""Files that cannot be read as a safe config: missing, oversize, alias bombs, not a mapping."""

from __future__ import annotations

from pathlib import Path

from configs_under_test import line_of, minimal_text, write_config

from ingest.config.positioned_yaml import DEFAULT_LIMITS, read_yaml
from ingest.pipeline.validate import exit_code, validate_config

BILLION_LAUGHS = """version: 1.3.0
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_alias_bomb_is_refused_at_the_key_that_explodes(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BILLION_LAUGHS)
    report = validate_config(path)
    (finding,) = report.findings
    assert finding.code == "E-YAML-ALIAS"
    assert finding.line == line_of(BILLION_LAUGHS, "g: &g")  # a..f expand to ~670k nodes, g to 6M
    assert exit_code(report) == 2


def test_oversize_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(minimal_text() + "#" * DEFAULT_LIMITS.max_bytes)
    report = validate_config(path)
    (finding,) = report.findings
    assert (finding.code, finding.line) == ("E-FILE-TOO-LARGE", None)
    assert finding.expected == f"at most {DEFAULT_LIMITS.max_bytes} bytes"
    assert exit_code(report) == 2


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    report = validate_config(tmp_path / "absent.yaml")
    assert [(f.code, f.line, f.found) for f in report.findings] == [("E-FILE-UNREADABLE", None, "no such file")]
    assert exit_code(report) == 2


def test_binary_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert validate_config(path).codes() == ["E-FILE-UNREADABLE"]


def test_top_level_list_is_a_type_error(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- version: 1.3.0\n")
    report = validate_config(path)
    assert [(f.code, f.line) for f in report.findings] == [("E-SCHEMA-TYPE", 1)]
    assert exit_code(report) == 1


def test_empty_file_is_invalid_not_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing here\n")
    report = validate_config(path)
    assert report.codes() == ["E-SCHEMA-TYPE"]
    assert exit_code(report) == 1


def test_merge_keys_are_expanded(tmp_path: Path) -> None:
    text = minimal_text().replace(
        "    dose_rate: 2.5\n    is_gain_corrected: false\n",
        "    <<: {dose_rate: -2.5}\n    is_gain_corrected: false\n",
    )
    report = validate_config(write_config(tmp_path, text))
    assert [(f.code, f.line) for f in report.findings] == [("E-DOSE-RATE", line_of(text, "<<:"))]


def test_heavy_anchor_reuse_within_the_node_budget_is_read(tmp_path: Path) -> None:
    # Real configs reuse `&authors` / `&dates` anchors thousands of times (10490: over 2,000 alias uses in 150 kB);
    # only expansion beyond the node budget is a bomb.
    uses = 20_000
    path = tmp_path / "anchors.yaml"
    path.write_text("dates: &d {deposition_date: '2024-01-01'}\nruns: [" + ", ".join(["*d"] * uses) + "]\n")
    document = read_yaml(path)
    assert isinstance(document.data, dict) and len(document.data["runs"]) == uses
