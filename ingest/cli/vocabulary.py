"""One vocabulary across commands: the option names, their meanings and the click types they share.

Every long option of every command is declared in :data:`TERMS` with one meaning; tests/test_cli_vocabulary.py
walks the commands and asserts that the same name has the same meaning, type and default set everywhere. The
rules, in short:

- ``--format`` is always how the command prints its result (``text``, ``json``, and for findings ``github`` and
  ``junit``); ``--from`` / ``--to`` name data formats (the file format read, the file format written).
- Axis triples are written ``X,Y,Z`` everywhere (``--tomogram-size``, ``--rescale-to``).
- ``--workers`` is the parallelism of the command, default chosen from the work.
- Paths to data (trees, input roots, files converted, read or written) accept URLs (``file://``, ``s3://bucket/key``
  with ``--storage-option``; files the convert commands read also ``http(s)://``); they are kept as text, never
  passed through :class:`pathlib.Path` (which would make ``s3://b/p`` into ``s3:/b/p``), and opened through
  :mod:`ingest.storage.locations`.
- Free-text choices are click choices (usage error, exit 2) that suggest the closest known value.

Renamed options keep their old spelling as a hidden alias that warns (:func:`deprecated_alias`), so curators'
scripts do not break. Nothing here imports more than click and the standard library.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

REPORT_FORMATS = ("text", "json", "github", "junit")
"""Every value ``--format`` takes in any command (each command offers ``text`` and ``json`` and, for findings,
``github`` and ``junit``)."""


def suggestion(value: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the known value closest to ``value``, or an empty string."""
    known = list(choices)
    close = difflib.get_close_matches(value.lower(), [choice.lower() for choice in known], n=1, cutoff=0.6)
    if not close:
        return ""
    original = next(choice for choice in known if choice.lower() == close[0])
    return f" (did you mean {original!r}?)"


class SuggestingChoice(click.Choice[str]):
    """A click choice whose usage error suggests the closest known value."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        """The chosen value, or click's usage error listing the choices and the closest one."""
        try:
            return str(super().convert(value, param, ctx))
        except click.BadParameter:
            known = ", ".join(map(str, self.choices))
            self.fail(f"{value!r} is not one of {known}{suggestion(str(value), map(str, self.choices))}", param, ctx)


class ChoiceList(click.ParamType[tuple[str, ...]]):
    """A comma-separated list of choices (``tomograms,annotations``), each checked with a suggestion."""

    name = "list"

    def __init__(self, choices: Sequence[str]) -> None:
        self.choices = tuple(choices)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[str, ...]:
        """The names in order, or a usage error naming the first unknown one."""
        if isinstance(value, tuple):
            return value
        names = tuple(name.strip() for name in str(value).split(",") if name.strip())
        if not names:
            self.fail(f"expected a comma-separated list of {', '.join(self.choices)}, found {value!r}", param, ctx)
        for name in names:
            if name not in self.choices:
                hint = suggestion(name, self.choices)
                self.fail(f"{name!r} is not one of {', '.join(self.choices)}{hint}", param, ctx)
        return names


class AxisTriple(click.ParamType[tuple[int, int, int]]):
    """Three positive integers in ``X,Y,Z`` order (also ``z=..,y=..,x=..`` in any order), as ``(x, y, z)``."""

    name = "X,Y,Z"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[int, int, int]:
        """``(x, y, z)``, or click's usage error saying what was expected."""
        if isinstance(value, tuple):
            return value
        parts = [part.strip() for part in str(value).split(",")]
        labelled = all("=" in part for part in parts)
        if labelled:
            pairs = dict(part.lower().split("=", 1) for part in parts)
            if len(parts) == 3 and set(pairs) == {"x", "y", "z"}:
                parts = [pairs["x"], pairs["y"], pairs["z"]]
        if len(parts) != 3 or not all(part.isdigit() and int(part) > 0 for part in parts):
            self.fail(f"expected three positive integers X,Y,Z (or x=..,y=..,z=..), found {value!r}", param, ctx)
        return int(parts[0]), int(parts[1]), int(parts[2])


AXES = AxisTriple()


def deprecated_alias(old: str, new: str, name: str, **attributes: Any) -> Callable[[F], F]:
    """A hidden option ``old``, the former spelling of ``new``: checked like it (``attributes``: type and the
    like), passed to the command as ``name`` (which uses it when ``new`` is not given), and warned about."""

    def warn(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        if value is not None and value != ():
            click.echo(f"warning: {old} is deprecated here, use {new} (same meaning)", err=True)
        return value

    return click.option(old, name, hidden=True, callback=warn, **attributes)


def format_option(*choices: str, help: str | None = None) -> Callable[[F], F]:
    """``--format``: how the command prints its result; ``choices`` ⊆ :data:`REPORT_FORMATS`, default ``text``."""
    unknown = set(choices) - set(REPORT_FORMATS)
    if unknown or not {"text", "json"} <= set(choices):
        raise ValueError(f"--format choices must include text and json within {REPORT_FORMATS}: {choices}")
    return click.option(
        "--format",
        "output_format",
        type=SuggestingChoice(choices),
        default="text",
        show_default=True,
        help=help or "How to print the result (json: one document on stdout, also on failure).",
    )


def workers_option(help: str) -> Callable[[F], F]:
    """``--workers N``: the command's parallelism; default (None) chosen from the work, as ``help`` says."""
    return click.option("--workers", type=click.IntRange(min=1), default=None, metavar="N", help=help)


def storage_options_option() -> Callable[[F], F]:
    """``--storage-option KEY=VALUE`` (repeatable): fsspec settings of ``s3://`` URLs."""
    return click.option(
        "--storage-option",
        "storage_options",
        multiple=True,
        metavar="KEY=VALUE",
        help="s3 settings for s3:// URLs, e.g. endpoint_url=http://127.0.0.1:9000 (repeatable).",
    )


def run_option(help: str) -> Callable[[F], F]:
    """``--run REGEX`` (repeatable): runs whose name fully matches."""
    return click.option("--run", "runs", multiple=True, metavar="REGEX", help=help)


def dataset_option(help: str) -> Callable[[F], F]:
    """``--dataset REGEX`` (repeatable): datasets whose id fully matches."""
    return click.option("--dataset", "datasets", multiple=True, metavar="REGEX", help=help)


@dataclass(frozen=True)
class Term:
    """One option name's single meaning; whether commands may give it different defaults; and, when commands
    may give it different value sets (choices, metavar), why (``varies``)."""

    meaning: str
    same_default: bool = True
    varies: str = ""


TERMS: dict[str, Term] = {
    "--format": Term("how the command prints its result: text, json, github, junit"),
    "--from": Term("the data format of the file read (a registered reader name)"),
    "--to": Term(
        "what the command converts into",
        same_default=False,
        varies="export picks: the data format written; migrate: the config format version",
    ),
    "--input": Term("the input root: a folder or an s3:// URL", same_default=False),
    "--output": Term(
        "where the command's result goes",
        same_default=False,
        varies="deposition, run, validate: the output tree (DIR|URL); migrate: the upgraded config file(s)",
    ),
    "--bucket-root": Term("a local folder holding the buckets that literal bucket/key paths name"),
    "--storage-option": Term("fsspec settings of the command's s3:// URLs, inputs and outputs (KEY=VALUE, repeatable)"),
    "--run": Term("runs whose name fully matches REGEX (repeatable)"),
    "--exclude-run": Term("runs whose name fully matches REGEX are skipped (repeatable)"),
    "--dataset": Term("datasets whose id fully matches REGEX (repeatable)"),
    "--workers": Term("the command's parallelism (processes or threads); default chosen from the work"),
    "--deep": Term("read everything: every chunk, every voxel (validate: every source file a run finds)"),
    "--voxel-spacing": Term("Å per voxel"),
    "--tomogram-size": Term("the tomogram's size in voxels, X,Y,Z"),
    "--rescale-to": Term("regrid to this size in voxels, X,Y,Z"),
    "--only": Term("only these parts (comma-separated)"),
    "--dry-run": Term("plan and print, write nothing"),
    "--scheduler": Term("the address of a running dask scheduler"),
    "--url-prefix": Term("the base URL the output root is served at (Neuroglancer layer sources)"),
    "--skip-source-checks": Term("ingest runs whose source files disagree instead of refusing them"),
    "--overwrite": Term("rewrite outputs even when up to date"),
    "--verify": Term("compare every byte of up-to-date outputs with the manifest"),
    "--timestamp": Term("last_updated_at of metadata"),
    "--check": Term("check the written outputs"),
    "--quiet": Term("no progress; failures only"),
    "--verbose": Term("log details on stderr"),
    "--log-file": Term("also write the log to this file"),
    "--json-schema": Term("print the deposition-config JSON Schema"),
    "--metadata": Term("print the metadata files' JSON Schema"),
    "--kind": Term("the kind of volume"),
    "--mask-label": Term("the label value that is the object"),
    "--threshold": Term("the value at or above which a voxel is the object"),
    "--mrc": Term("also write the canonical MRC here (FILE|URL)"),
    "--ngff": Term("the OME-NGFF version written"),
    "--shape": Term("the annotation shape of the points"),
    "--binning": Term("divides pixel coordinates"),
    "--filter-value": Term("keep this run's rows of a multi-run pick file"),
    "--order": Term("the axis order of coordinates in the pick file"),
    "--tomograms-star": Term("a RELION tomograms.star giving sizes and pixel sizes (FILE|URL)"),
    "--tomogram": Term("an MRC giving the tomogram's size, from its header (FILE|URL)"),
    "--delimiter": Term("the CSV/TSV delimiter"),
    "--columns": Term("the axis order of CSV/TSV columns"),
    "--option": Term("a format-specific KEY=VALUE (repeatable)"),
    "--run-name": Term("the run name written into the exported file"),
    "--object-name": Term("the object name written into the exported file"),
    "--version": Term("print the version"),
    "--help": Term("print the help"),
}
"""Every long option name of every command, with its one meaning (tests/test_cli_vocabulary.py enforces it)."""
