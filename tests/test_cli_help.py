"""Every command's ``--help`` ends with examples and its exit statuses; the examples use real options."""

from __future__ import annotations

import shlex
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.cli.help_text import HELP


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += commands(command, (*prefix, name))
        else:
            found.append(((*prefix, name), command))
    return found


ALL = commands(main)


def test_every_command_has_help_entries() -> None:
    assert {" ".join(path) for path, _ in ALL} == set(HELP)


@pytest.mark.parametrize(("path", "command"), ALL, ids=[" ".join(path) for path, _ in ALL])
def test_help_shows_examples_and_exit_statuses(path: tuple[str, ...], command: click.Command) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    examples, statuses = HELP[" ".join(path)]
    assert "Examples:" in result.stdout and "Exit status:" in result.stdout
    for example in examples:
        assert example in result.stdout
    for code, meaning in statuses:
        assert f"  {code:<4} {meaning}" in result.stdout
    assert "  130  interrupted" in result.stdout


@pytest.mark.parametrize(("path", "command"), ALL, ids=[" ".join(path) for path, _ in ALL])
def test_examples_use_options_the_command_has(path: tuple[str, ...], command: click.Command) -> None:
    names = {
        name
        for parameter in command.params
        if not getattr(parameter, "hidden", False)  # deprecated spellings are not shown as examples
        for name in (*parameter.opts, *parameter.secondary_opts)
    }
    if " ".join(path) == "run":  # ingest run passes its options on to ingest deposition
        names |= {name for parameter in main.commands["deposition"].params for name in parameter.opts}
    for example in HELP[" ".join(path)][0]:
        words = shlex.split(example.split("#")[0].split("|")[0].split(">")[0].split("&&")[0])
        assert words[: 1 + len(path)] == ["ingest", *path], example
        unknown = [word for word in words if word.startswith("-") and word.split("=")[0] not in names]
        assert not unknown, f"{example}: {unknown}"


def test_help_in_a_real_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ingest", "info", "--help"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0 and "ingest info portal --format json" in done.stdout
