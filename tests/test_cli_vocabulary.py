"""One vocabulary across commands: every option of every command obeys the rules of :mod:`ingest.cli.vocabulary`.

The walk over all commands makes a new option with a second meaning for an existing name (or a new free-text
choice, or a path option that would mangle ``s3://`` URLs) fail here instead of reaching curators.
"""

from __future__ import annotations

from collections import defaultdict

import click
import pytest

from ingest.cli import main
from ingest.cli.convert_picks import PICK_FORMATS
from ingest.cli.convert_volume import VOLUME_KINDS
from ingest.cli.export_picks import EXPORT_TARGETS
from ingest.cli.vocabulary import REPORT_FORMATS, TERMS, AxisTriple, SuggestingChoice


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += commands(command, (*prefix, name))
        else:
            found.append((" ".join((*prefix, name)), command))
    return found


ALL = [("", main), *commands(main)]


def visible_options() -> list[tuple[str, str, click.Option]]:
    """(command, long option name, option) for every option a user sees in some ``--help``."""
    found = []
    for path, command in ALL:
        for parameter in command.params:
            if isinstance(parameter, click.Option) and not parameter.hidden:
                long_names = [name for name in parameter.opts if name.startswith("--")]
                found.append((path, long_names[0], parameter))
    return found


OPTIONS = visible_options()
UNSET = getattr(click.core, "UNSET", None)
"""click 8.2+ marks an option without a default with this sentinel; older versions use None."""
BY_NAME: dict[str, list[tuple[str, click.Option]]] = defaultdict(list)
for _path, _name, _option in OPTIONS:
    BY_NAME[_name].append((_path, _option))


def signature(option: click.Option, name: str) -> tuple[object, ...]:
    """What must agree between two options of the same name: kind of value, flag-ness, repetition, and (unless
    the term says why its values vary) the choices and metavar."""
    if TERMS[name].varies:
        return type(option.type).__name__, option.is_flag, option.multiple
    kind = type(option.type).__name__
    if isinstance(option.type, click.Choice) and option.name != "output_format":
        kind += str(sorted(map(str, option.type.choices)))
    return kind, option.is_flag, option.multiple, option.metavar


def test_every_option_has_one_declared_meaning() -> None:
    undeclared = sorted({f"{path or 'ingest'} {name}" for path, name, _ in OPTIONS if name not in TERMS})
    assert not undeclared, f"add these options to ingest.cli.vocabulary.TERMS with their meaning: {undeclared}"


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_same_name_same_type_and_defaults(name: str) -> None:
    uses = BY_NAME[name]
    signatures = {path: signature(option, name) for path, option in uses}
    assert len(set(signatures.values())) == 1, f"{name} differs between commands: {signatures}"
    if TERMS[name].same_default:
        defaults = {path: None if option.default in (None, UNSET) else option.default for path, option in uses}
        assert len(set(map(repr, defaults.values()))) == 1, f"{name} has different defaults: {defaults}"


def test_format_is_always_the_output_format() -> None:
    for path, option in BY_NAME["--format"]:
        assert option.name == "output_format", path
        assert isinstance(option.type, SuggestingChoice), path
        choices = set(map(str, option.type.choices))
        assert {"text", "json"} <= choices <= set(REPORT_FORMATS), (path, choices)
        assert option.default == "text", path


def test_data_formats_are_from_and_to_never_format() -> None:
    data_formats = set(PICK_FORMATS) | set(EXPORT_TARGETS)
    for path, name, option in OPTIONS:
        if isinstance(option.type, click.Choice) and set(map(str, option.type.choices)) & data_formats:
            assert name in ("--from", "--to"), (path, name)
    assert [path for path, _ in BY_NAME["--from"]] == ["convert picks"]


def test_findings_commands_offer_the_same_formats() -> None:
    formats = {path: set(map(str, option.type.choices)) for path, option in BY_NAME["--format"]}  # type: ignore[attr-defined]
    assert formats["check"] == formats["validate"] == set(REPORT_FORMATS)
    assert formats["deposition"] == formats["run"] == formats["info"] == {"text", "json"}


def test_every_choice_suggests() -> None:
    for path, name, option in OPTIONS:
        if isinstance(option.type, click.Choice):
            assert isinstance(option.type, SuggestingChoice), f"{path} {name}: use SuggestingChoice"


def test_axis_triples_are_x_y_z_everywhere() -> None:
    triples = [(path, name, option) for path, name, option in OPTIONS if isinstance(option.type, AxisTriple)]
    assert {name for _, name, _ in triples} == {"--tomogram-size", "--rescale-to"}
    for path, name, option in triples:
        assert option.make_metavar(click.Context(click.Command("x"))) == "X,Y,Z", (path, name)
        assert "X,Y,Z" in (option.help or ""), (path, name)
    for path, name, option in OPTIONS:
        assert "Z,Y,X" not in (option.help or "").replace("z=..,y=..,x=..", ""), (path, name)


def test_workers_is_chosen_from_the_work_everywhere() -> None:
    for path, option in BY_NAME["--workers"]:
        assert isinstance(option.type, click.IntRange) and option.type.min == 1, path
        assert option.default is None, path
        assert "default" in (option.help or ""), path


def test_paths_to_data_keep_urls() -> None:
    """Options and arguments that name a tree or an input root take text (a click.Path would be turned into a
    pathlib.Path, and ``s3://b/p`` into ``s3:/b/p``)."""
    data_parameters = {"input_url", "input_root", "output_url", "output", "tree"}
    data_parameters |= {"source", "zarr_out", "mrc_out", "src", "dst", "tomograms_star", "tomogram"}  # convert, export
    for path, command in ALL:
        for parameter in command.params:
            if parameter.name in data_parameters and path != "migrate":
                assert not isinstance(parameter.type, click.Path), (path, parameter.name)
    for path, option in BY_NAME["--input"] + BY_NAME["--output"]:
        if path != "migrate":
            assert option.metavar == "DIR|URL", path
    for name in ("--mrc", "--tomogram", "--tomograms-star"):
        for path, option in BY_NAME[name]:
            assert option.metavar == "FILE|URL", (path, name)


def test_commands_reading_urls_take_storage_options() -> None:
    with_urls = {path for path, option in BY_NAME["--input"] + BY_NAME["--output"] if path != "migrate"}
    with_urls |= {"check", "info", "convert volume", "convert picks", "export picks"}
    assert with_urls <= {path for path, _ in BY_NAME["--storage-option"]}


def test_run_selections_are_regexes_everywhere() -> None:
    for name in ("--run", "--dataset", "--exclude-run"):
        for path, option in BY_NAME[name]:
            assert option.metavar == "REGEX" and option.multiple, (path, name)


def test_choices_kept_for_fast_help_match_the_registries() -> None:
    from ingest.converters.picks.export import EXPORTERS
    from ingest.converters.picks.registry import _READERS, _load_format_modules
    from ingest.converters.volumes.kind import VolumeKind

    _load_format_modules()
    assert sorted(PICK_FORMATS) == sorted(_READERS)
    assert sorted(EXPORT_TARGETS) == sorted(EXPORTERS)
    assert sorted(VOLUME_KINDS) == sorted(kind.value for kind in VolumeKind)
