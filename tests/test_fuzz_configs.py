"""Fuzzing configs and run data maps: valid configs mutated key by key, value by value and at the YAML level.

Seeds: tests/data/configs/minimal.yaml (with its run data map) and the example deposition
(configs/examples/example.yaml with the sources ``ingest example`` writes). Each case runs ``ingest validate`` and
``ingest deposition --dry-run`` on the mutated config; the property is in tests/fuzz_harness.py.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from ingest.pipeline.example import write_example
from tests.fuzz_harness import fuzz, run_case, sandbox

MINIMAL = Path(__file__).parent / "data" / "configs"

HOSTILE_VALUES: list[Any] = [
    None, "", 0, -1, 1, 2**63, -(2**63), 10**30, 1e308, -1e308, math.nan, math.inf, -math.inf, True, False, [], {},
    [[[[[[]]]]]], "x" * 5000, "{run_name}", "{__class__}", "{run_name.__class__.__mro__}", "{0}", "{", "}",
    "{unknown_key}", "float {run_name}", "int {nope}", "../../../etc/passwd", "/etc/passwd", "([", "(a+)+$",
    "2024-13-45", "0000-00-00", "\x00", "\u202e", "*", "**/*", "s3://bucket/key", "http://127.0.0.1:9/x",
    {"nested": {"deeper": [1, 2, 3]}}, ["a", 1, None], "1.3.0", "99.0.0", "GO:", "NCBITaxon:-1",
]  # fmt: skip
"""Values that have broken parsers before: wrong types, extremes, templates, paths, regexes, control characters."""

YAML_SNIPPETS = [
    "\t", ":", ": :", "- ", "&a ", "*a", "*undefined_alias", "!!python/object/apply:os.system ['true']", "%YAML 9.9\n",
    "{", "[", "'", '"', "? ", "|\n", ">-\n", "---\n", "...\n", "\x00", "\ufeff", "<<: *a\n", "!!binary AAAA",
    "key: &a [*a]\n", "a: &a ['x','x']\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
    "[" * 2000 + "]" * 2000 + "\n", "x: " + "{a: " * 500 + "1" + "}" * 500 + "\n",
]  # fmt: skip
"""YAML-level insertions: syntax errors, tags, aliases (a billion-laughs bomb), BOMs, deep flow nesting."""


@pytest.fixture(scope="module")
def example_seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("example-seed")
    write_example(folder)
    return folder


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key or index path in a loaded YAML document."""
    found: list[tuple[Any, ...]] = []
    items = (
        document.items() if isinstance(document, dict) else enumerate(document) if isinstance(document, list) else []
    )
    for key, value in items:
        found.append((*prefix, key))
        found.extend(_paths(value, (*prefix, key)))
    return found


def _parent(document: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        document = document[key]
    return document


@st.composite
def mutated_document(draw: st.DrawFn, text: str) -> str:
    """The YAML text of ``text``'s document with one to three keys or values changed."""
    document = yaml.safe_load(text)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(document)
        path = draw(st.sampled_from(paths))
        parent, key = _parent(document, path), path[-1]
        action = draw(st.sampled_from(["delete", "replace", "rename", "duplicate"]))
        if action == "delete":
            del parent[key]
        elif action == "replace":
            parent[key] = draw(st.sampled_from(HOSTILE_VALUES) | st.text(max_size=20) | st.integers() | st.floats())
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["", "sources", "metadata", "unknown_key", "x" * 300, "__proto__"]))] = (
                parent.pop(key)
            )
        elif isinstance(parent, list):
            parent.append(parent[key])
        else:
            parent[f"{key}_copy"] = parent[key]
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


@st.composite
def mutated_text(draw: st.DrawFn, text: str) -> str:
    """``text`` with one YAML-level change: an insertion, a deleted or doubled line, or truncation."""
    lines = text.splitlines(keepends=True)
    action = draw(st.sampled_from(["insert", "delete-line", "double-line", "truncate", "indent"]))
    index = draw(st.integers(0, len(lines) - 1))
    if action == "insert":
        line = lines[index]
        at = draw(st.integers(0, len(line)))
        snippet = draw(st.sampled_from(YAML_SNIPPETS) | st.text(max_size=8))
        lines[index] = line[:at] + snippet + line[at:]
    elif action == "delete-line":
        del lines[index]
    elif action == "double-line":
        lines.insert(index, lines[index])
    elif action == "indent":
        lines[index] = " " * draw(st.integers(1, 5)) + lines[index]
    else:
        return text[: draw(st.integers(0, len(text)))]
    return "".join(lines)


def _run_config(folder: Path, config: Path, text: str, *extra: str) -> None:
    config.write_text(text, encoding="utf-8", errors="surrogatepass")
    output = folder / "out"
    run_case("config validate", ["validate", str(config), *extra], folder, [output])
    run_case("config dry run", ["deposition", str(config), "--dry-run", "--output", str(output)], folder, [output])


SEED_TEXT = (MINIMAL / "minimal.yaml").read_text()


@fuzz(examples=40)
@given(text=mutated_document(SEED_TEXT) | mutated_text(SEED_TEXT))
def test_minimal_config_mutations_end_in_a_documented_exit(text: str) -> None:
    with sandbox(MINIMAL) as folder:
        _run_config(folder, folder / "minimal.yaml", text)


@fuzz(examples=25)
@given(data=st.data())
def test_example_config_mutations_end_in_a_documented_exit(example_seed: Path, data: st.DataObject) -> None:
    seed_text = (example_seed / "example.yaml").read_text()
    text = data.draw(mutated_document(seed_text) | mutated_text(seed_text))
    with sandbox(example_seed) as folder:
        _run_config(folder, folder / "example.yaml", text)


CELLS = st.sampled_from(["", "nan", "inf", "-1e400", "1e400", "TS_001", "../x", "{run_name}", "\x00", '"', "a,b"])


@fuzz(examples=25)
@given(
    header=st.lists(st.sampled_from(["run_name", "tilt_min", "tilt_max", "quality", "", "run_name "]), max_size=5),
    rows=st.lists(st.lists(CELLS | st.text(max_size=6) | st.integers().map(str), max_size=6), max_size=4),
    delimiter=st.sampled_from([",", "\t", ";"]),
    raw=st.binary(max_size=40),
)
def test_run_data_maps_end_in_a_documented_exit(
    header: list[str], rows: list[list[str]], delimiter: str, raw: bytes
) -> None:
    with sandbox(MINIMAL) as folder:
        table = "\n".join(delimiter.join(cells) for cells in [header, *rows]).encode("utf-8", "surrogatepass")
        (folder / "input" / "run_data.csv").write_bytes(table + raw)
        _run_config(folder, folder / "minimal.yaml", SEED_TEXT)
