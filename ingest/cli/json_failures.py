"""A document on standard output in every outcome: a failure still prints one in the format asked for.

Commands with ``--format json`` wrap their callback in :func:`json_failures`. When the callback fails with a
user error (:class:`~ingest.errors.IngestError`), a usage error (:class:`click.UsageError`) or an unexpected
exception while ``--format`` is ``json``, ``github`` or ``junit``, a failure document is printed on stdout before
the usual one-line message reaches stderr. In JSON::

    {"ok": false, "error": {"message": "...", "exit_code": 2}, "findings": [...]}

``findings`` holds the config findings of an invalid config (``ingest deposition``) and is empty otherwise. With
``github``, the findings are workflow annotations followed by one ``::error title=ingest COMMAND::message`` line;
with ``junit``, one failing test case named after the command holds them.

A command line that does not parse (unknown option, bad choice, missing argument) fails before any callback
runs: the command group calls :func:`report_usage_error`, which prints the same failure document when the command
named on the line offers ``--format`` and ``--format X`` (or ``--format=X``) is among its arguments. The documents
are described in docs/json-output.md.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any, ParamSpec, TypeVar

import click

from ingest.domain.report import Finding, Report, Severity, render_github
from ingest.errors import IngestError

INTERNAL_ERROR_EXIT = 3
"""The exit status of an unexpected exception (a bug); see :mod:`ingest.cli.failures`."""

DOCUMENT_FORMATS = ("json", "github", "junit")
"""The ``--format`` values whose failures print a document on stdout (``text`` prints the failure on stderr only)."""

_REPORTED = "_ingest_document_printed"
"""Attribute set on an exception whose failure document is printed (a usage error passes two handlers)."""

P = ParamSpec("P")
R = TypeVar("R")


def failure_fields(message: str, exit_code: int, findings: Sequence[Finding] = ()) -> dict[str, Any]:
    """The JSON object of a failure: ``ok`` false, the one-line ``error`` with its exit status, and ``findings``."""
    return {
        "ok": False,
        "error": {"message": message, "exit_code": exit_code},
        "findings": [asdict(finding) for finding in findings],
    }


def failure_document(message: str, exit_code: int, findings: Sequence[Finding] = ()) -> str:
    """The JSON text of a failure (:func:`failure_fields`)."""
    return json.dumps(failure_fields(message, exit_code, findings), indent=2, sort_keys=True)


def failure_output(output_format: str, message: str, exit_code: int, findings: Sequence[Finding], name: str) -> str:
    """The failure document in ``output_format`` (one of :data:`DOCUMENT_FORMATS`); ``name``: ``ingest COMMAND``."""
    if output_format == "json":
        return failure_document(message, exit_code, findings)
    if output_format == "junit":
        from ingest.cli.junit import render_failure

        return render_failure(message, exit_code, findings, name=name)
    return render_github(Report((*findings, Finding(Severity.ERROR, name, message))))


def command_name(context: click.Context) -> str:
    """``ingest deposition`` (``ingest export picks``) whatever the program was called (click's test runner)."""
    names = []
    while context.parent is not None:
        names.append(context.info_name or "")
        context = context.parent
    return " ".join(["ingest", *reversed(names)])


def mark_reported(error: BaseException) -> None:
    """Note that the failure document of ``error`` is printed, so that no outer handler prints a second one."""
    setattr(error, _REPORTED, True)


def is_reported(error: BaseException) -> bool:
    """Whether :func:`mark_reported` was called on ``error``."""
    return bool(getattr(error, _REPORTED, False))


def json_failures(callback: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command callback with an ``output_format`` parameter: failures print a document in that format."""

    @functools.wraps(callback)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        output_format = kwargs.get("output_format")
        if output_format not in DOCUMENT_FORMATS:
            return callback(*args, **kwargs)
        try:
            return callback(*args, **kwargs)
        except IngestError as error:
            report = getattr(error, "report", None)
            findings = report.findings if report is not None else ()
            _print_failure(error, str(output_format), error.message, error.exit_code, findings)
            raise
        except click.UsageError as error:
            _print_failure(error, str(output_format), error.format_message(), error.exit_code, ())
            raise
        except (click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as error:
            message = f"internal error: {type(error).__name__}: {error}"
            _print_failure(error, str(output_format), message, INTERNAL_ERROR_EXIT, ())
            raise

    return wrapper


def _print_failure(
    error: BaseException, output_format: str, message: str, exit_code: int, findings: Sequence[Finding]
) -> None:
    if is_reported(error):
        return
    name = command_name(click.get_current_context())
    click.echo(failure_output(output_format, message, exit_code, findings, name))
    mark_reported(error)


def report_usage_error(group: click.Group, args: Sequence[str], error: click.UsageError) -> None:
    """Print the failure document of a command line that did not parse (``args``: the group's arguments), when
    the command it names offers ``--format`` and the line asks for a document format; else print nothing."""
    if is_reported(error):
        return
    found = _named_command(group, args)
    output_format = _requested_format(args)
    if found is None or output_format is None or output_format not in _offered_formats(found[1]):
        return
    name = " ".join(["ingest", *found[0]])
    click.echo(failure_output(output_format, error.format_message(), error.exit_code, (), name))
    mark_reported(error)


def _named_command(group: click.Group, args: Sequence[str]) -> tuple[list[str], click.Command] | None:
    """The command names on the line and the command they lead to (the groups take no option with a value)."""
    names: list[str] = []
    command: click.Command = group
    for token in args:
        if token == "--":
            break
        if token.startswith("-"):
            continue
        if not isinstance(command, click.Group):
            break
        sub = command.commands.get(token)
        if sub is None:
            return None
        names.append(token)
        command = sub
    return (names, command) if names else None


def _requested_format(args: Sequence[str]) -> str | None:
    """The value of the last ``--format X`` or ``--format=X`` before ``--`` (click keeps the last one)."""
    value = None
    for index, token in enumerate(args):
        if token == "--":
            break
        if token == "--format" and index + 1 < len(args):
            value = args[index + 1]
        elif token.startswith("--format="):
            value = token.partition("=")[2]
    return value


def _offered_formats(command: click.Command) -> tuple[str, ...]:
    """The document formats the command's ``--format`` (an output format) offers."""
    for parameter in command.params:
        if parameter.name == "output_format" and isinstance(parameter.type, click.Choice):
            return tuple(str(choice) for choice in parameter.type.choices if choice in DOCUMENT_FORMATS)
    return ()
