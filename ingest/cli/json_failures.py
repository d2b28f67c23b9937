"""``--format json`` in every outcome: a failure still prints one JSON document on standard output.

Commands with ``--format json`` wrap their callback in :func:`json_failures`. When the callback fails with a
user error (:class:`~ingest.errors.IngestError`), a usage error (:class:`click.UsageError`) or an unexpected
exception while ``--format json`` is in effect, a failure document is printed on stdout before the usual
one-line message reaches stderr::

    {"ok": false, "error": {"message": "...", "exit_code": 2}, "findings": [...]}

``findings`` holds the config findings of an invalid config (``ingest deposition``) and is empty otherwise. The
documents are described in docs/json-output.md.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, ParamSpec, TypeVar

import click

from ingest.errors import IngestError

INTERNAL_ERROR_EXIT = 3
"""The exit status of an unexpected exception (a bug); see :mod:`ingest.cli.failures`."""

P = ParamSpec("P")
R = TypeVar("R")


def failure_document(message: str, exit_code: int, findings: list[dict[str, Any]] | None = None) -> str:
    """The JSON text of a failure: ``ok`` false, the one-line ``error`` with its exit status, and ``findings``."""
    document = {"ok": False, "error": {"message": message, "exit_code": exit_code}, "findings": findings or []}
    return json.dumps(document, indent=2, sort_keys=True)


def json_failures(callback: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command callback with an ``output_format`` parameter: failures print a JSON document when it is json."""

    @functools.wraps(callback)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if kwargs.get("output_format") != "json":
            return callback(*args, **kwargs)
        try:
            return callback(*args, **kwargs)
        except IngestError as error:
            report = getattr(error, "report", None)
            findings = [asdict(finding) for finding in report.findings] if report is not None else []
            click.echo(failure_document(error.message, error.exit_code, findings))
            raise
        except click.UsageError as error:
            click.echo(failure_document(error.format_message(), error.exit_code))
            raise
        except (click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as error:
            click.echo(failure_document(f"internal error: {type(error).__name__}: {error}", INTERNAL_ERROR_EXIT))
            raise

    return wrapper
