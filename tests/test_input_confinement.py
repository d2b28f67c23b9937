"""Issue 18 item 3: inputs are read only under the input root (and the bucket root). A run data map, run map,
literal or found file leading outside (absolute, ``..``, a symbolic link) is refused naming the config path, and
no file content ever appears in a message."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.pipeline.example import write_example

SECRET = "TOP-SECRET-LINE-do-not-print"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    write_example(tmp_path / "in")
    return tmp_path / "in/example.yaml"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside the input root whose content must never be read into a message."""
    path = tmp_path / "outside/secret.csv"
    path.parent.mkdir()
    path.write_text(f"{SECRET},a,b\n{SECRET},c,d\n")
    return path


def with_map(config: Path, value: str, key: str = "run_data_map_file") -> Path:
    text = config.read_text()
    if key == "run_data_map_file":
        text = text.replace("run_data_map_file: run_data_map.csv", f"run_data_map_file: '{value}'")
    else:
        text = text.replace("source_prefix: phantom", f"source_prefix: phantom\n  {key}: '{value}'")
    config.write_text(text)
    return config


def dry_run(config: Path, tmp_path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["deposition", str(config), "--dry-run", "--output", str(tmp_path / "out")])
    return result.exit_code, result.output


def validate(config: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", str(config)])
    return result.exit_code, result.output


@pytest.mark.parametrize("form", ["absolute", "dotdot"])
def test_a_run_data_map_outside_the_input_root_is_refused(
    example: Path, secret: Path, tmp_path: Path, form: str
) -> None:
    value = str(secret) if form == "absolute" else "../../" + secret.relative_to(tmp_path).as_posix()
    config = with_map(example, value)
    code, output = dry_run(config, tmp_path)
    assert code == 1
    assert "outside the input root" in output and "run_data_map_file" in output
    assert SECRET not in output
    code, output = validate(config)
    assert code == 1 and "E-INPUT-OUTSIDE-ROOT" in output and SECRET not in output


@pytest.mark.parametrize("value", ["/etc/passwd", "../../../../etc/passwd"])
def test_etc_passwd_as_run_data_map_is_refused_without_echo(example: Path, tmp_path: Path, value: str) -> None:
    config = with_map(example, value)
    for code, output in (dry_run(config, tmp_path), validate(config)):
        assert code == 1, output
        assert "root:" not in output and "/bin/" not in output
        assert "outside the input root" in output


def test_a_symbolic_link_to_a_run_data_map_outside_is_refused(example: Path, secret: Path, tmp_path: Path) -> None:
    link = example.parent / "phantom/linked_map.csv"
    link.symlink_to(secret)
    config = with_map(example, "linked_map.csv")
    code, output = dry_run(config, tmp_path)
    assert code == 1 and "outside the input root" in output and SECRET not in output
    code, output = validate(config)
    assert code == 1 and "E-INPUT-OUTSIDE-ROOT" in output and SECRET not in output


def test_a_run_to_tomo_map_outside_is_refused_at_its_config_line(example: Path, secret: Path, tmp_path: Path) -> None:
    config = with_map(example, str(secret), key="run_to_tomo_map_csv")
    code, output = dry_run(config, tmp_path)
    assert code == 1
    line = next(n for n, text in enumerate(config.read_text().splitlines(), 1) if "run_to_tomo_map_csv" in text)
    assert f"example.yaml:{line}:3 standardization_config.run_to_tomo_map_csv" in output
    assert SECRET not in output


def test_a_found_source_that_links_outside_is_refused(example: Path, secret: Path, tmp_path: Path) -> None:
    mdoc = example.parent / "phantom/tiltseries/TS_001.mdoc"
    mdoc.unlink()
    mdoc.symlink_to(secret)
    code, output = dry_run(example, tmp_path)
    assert code == 1
    assert "symbolic link leading outside the input root" in output
    assert "collection_metadata[0].sources[0]" in output and SECRET not in output


def test_a_glob_cannot_climb_out_of_the_input_root(example: Path, tmp_path: Path) -> None:
    text = example.read_text().replace("list_glob: tiltseries/{run_name}.mdoc", "list_glob: ../../outside/*.csv")
    example.write_text(text)
    code, output = dry_run(example, tmp_path)
    assert code == 1 and "matched nothing" in output and SECRET not in output


@pytest.mark.parametrize("prefix", ["../../outside", "phantom/../../.."])
def test_a_source_prefix_leading_outside_is_refused(example: Path, tmp_path: Path, prefix: str) -> None:
    example.write_text(example.read_text().replace("source_prefix: phantom", f"source_prefix: '{prefix}'"))
    for code, output in (dry_run(example, tmp_path), validate(example)):
        assert code == 1
        assert "E-INPUT-OUTSIDE-ROOT" in output and "standardization_config.source_prefix" in output
        assert SECRET not in output


def test_a_wrong_run_to_tomo_map_names_its_file_line_and_config_key(example: Path, tmp_path: Path) -> None:
    (example.parent / "phantom/tomo_map.csv").write_text("TS_001,TS_001_bin1.mrc\nTS_002\n")
    config = with_map(example, "tomo_map.csv", key="run_to_tomo_map_csv")
    code, output = dry_run(config, tmp_path)
    assert code == 1
    assert "tomo_map.csv:2" in output and "fewer than two columns" in output
    line = next(n for n, text in enumerate(config.read_text().splitlines(), 1) if "run_to_tomo_map_csv" in text)
    assert f"example.yaml:{line}:3 standardization_config.run_to_tomo_map_csv: " in output
    config.write_text(config.read_text().replace("'tomo_map.csv'", "'no_such_map.csv'"))
    code, output = dry_run(config, tmp_path)
    assert code == 1 and "no_such_map.csv" in output and "does not exist" in output


def test_a_file_inside_a_found_folder_that_links_outside_is_refused(
    example: Path, secret: Path, tmp_path: Path
) -> None:
    volume = example.parent / "phantom/masks/TS_001_membrane.zarr"
    (volume / "0").mkdir(parents=True)
    (volume / "0/0").symlink_to(secret)
    example.write_text(example.read_text().replace("masks/{run_name}_membrane.mrc", "masks/{run_name}_membrane.*"))
    code, output = dry_run(example, tmp_path)
    assert code == 1 and "symbolic link leading outside the input root" in output and SECRET not in output
