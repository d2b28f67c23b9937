"""``ingest validate`` and ``ingest migrate`` from the command line: renderings and exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from configs_under_test import Edit, edited, line_of, minimal_text, write_config

from ingest.cli import main


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_valid_config_exits_zero(tmp_path: Path) -> None:
    status, output = run("validate", str(write_config(tmp_path, minimal_text())))
    assert (status, output.strip()) == (0, "0 error(s), 0 warning(s)")


def test_warnings_still_exit_zero(tmp_path: Path) -> None:
    status, output = run("validate", str(write_config(tmp_path, minimal_text(), with_run_map=False)))
    assert status == 0
    assert "warning[W-RUN-MAP-MISSING]" in output


def test_invalid_config_exits_one_with_compiler_style_lines(tmp_path: Path) -> None:
    text = edited(minimal_text(), Edit("dose_rate: 2.5", "dose_rate: 0"))
    path = write_config(tmp_path, text)
    status, output = run("validate", str(path))
    assert status == 1
    assert f"{path}:{line_of(text, 'dose_rate')}:5: error[E-DOSE-RATE] frames[0].metadata.dose_rate:" in output


def test_unreadable_file_exits_two(tmp_path: Path) -> None:
    status, output = run("validate", str(tmp_path / "missing.yaml"))
    assert status == 2
    assert "E-FILE-UNREADABLE" in output


def test_not_yaml_exits_two_and_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("a: 1\nb: [2\n")
    status, output = run("validate", str(path))
    assert status == 2
    assert f"{path}:3:1: error[E-YAML-SYNTAX]" in output


def test_usage_error_exits_two() -> None:
    assert run("validate")[0] == 2
    assert run("validate", "x.yaml", "--format", "xml")[0] == 2


def test_worst_status_over_several_configs(tmp_path: Path) -> None:
    good = write_config(tmp_path, minimal_text())
    status, _ = run("validate", str(good), str(tmp_path / "missing.yaml"))
    assert status == 2


def test_json_format(tmp_path: Path) -> None:
    text = edited(minimal_text(), Edit("id: GO:0005840", "id: GO:1"))
    status, output = run("validate", "--format", "json", str(write_config(tmp_path, text)))
    payload = json.loads(output)
    assert status == 1
    assert (payload["ok"], payload["errors"]) == (False, 1)
    (finding,) = payload["findings"]
    assert (finding["code"], finding["line"], finding["path"]) == (
        "E-ID-PATTERN",
        line_of(text, "GO:1"),
        "annotations[0].metadata.annotation_object.id",
    )


def test_github_format(tmp_path: Path) -> None:
    text = edited(minimal_text(), Edit("      glob_string: picks", "      glob_sting: picks"))
    path = write_config(tmp_path, text)
    status, output = run("validate", "--format", "github", str(path))
    line = line_of(text, "glob_sting")
    assert status == 1
    assert f"::error file={path},line={line},col=7,title=E-UNKNOWN-KEY::" in output
    assert "did you mean `glob_string`?" in output


def test_input_option_points_at_the_run_map(tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()
    config = write_config(tmp_path / "configs", minimal_text(), with_run_map=False)
    (tmp_path / "bucket" / "input").mkdir(parents=True)
    (tmp_path / "bucket" / "input" / "run_data.csv").write_text("run_name,tilt_min,tilt_max,quality\nTS,1,2,3\n")
    for name in ("runs/TS/TS.mrc", "runs/TS/TS.mdoc", "runs/TS/frames/a.tiff", "picks/TS.csv"):  # what it plans
        (tmp_path / "bucket" / "input" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "bucket" / "input" / name).write_bytes(b"")
    status, output = run("validate", "--input", str(tmp_path / "bucket"), str(config))
    assert (status, output.strip()) == (0, "0 error(s), 0 warning(s)")


def test_migrate_rewrites_only_the_version(tmp_path: Path) -> None:
    old = edited(minimal_text(), Edit("version: 1.3.0", "version: 1.0.0"))
    path = write_config(tmp_path, old)
    status, output = run("migrate", str(path))
    assert status == 0
    assert "upgraded to 1.3.0" in output
    assert path.read_text() == minimal_text()


def test_migrate_to_another_file_keeps_the_source(tmp_path: Path) -> None:
    old = edited(minimal_text(), Edit("version: 1.3.0", "version: '1.1.0'"))
    path = write_config(tmp_path, old)
    status, _ = run("migrate", str(path), "-o", str(tmp_path / "new.yaml"))
    assert status == 0
    assert path.read_text() == old
    assert (tmp_path / "new.yaml").read_text() == edited(old, Edit("'1.1.0'", "'1.3.0'"))


def test_migrate_current_config_changes_nothing(tmp_path: Path) -> None:
    path = write_config(tmp_path, minimal_text())
    status, output = run("migrate", str(path))
    assert (status, "already at the current version" in output) == (0, True)
    assert path.read_text() == minimal_text()


def test_migrate_moves_mdoc_globs_keeping_comments(tmp_path: Path) -> None:
    old = edited(
        minimal_text(),
        Edit("version: 1.3.0", "version: 1.0.0"),
        Edit(
            "collection_metadata:\n- sources:\n  - source_glob:\n      list_glob: runs/{run_name}/{run_name}.mdoc\n",
            "rawtilts:\n- sources:\n  - source_multi_glob:\n      list_globs:\n      - runs/{run_name}.rawtlt\n"
            "      - runs/{run_name}.mdoc  # acquisition metadata\n",
        ),
    )
    path = write_config(tmp_path, old)
    assert run("validate", str(path))[0] == 0
    status, output = run("migrate", str(path))
    assert status == 0
    assert "moved 1 mdoc glob(s) from rawtilts to collection_metadata" in output
    new = path.read_text()
    assert new.startswith("# A small valid deposition config")
    assert "version: 1.3.0" in new
    assert new.count(".mdoc") == 1 and new.index("collection_metadata:") < new.index(".mdoc")
    assert run("validate", str(path)) == (0, "0 error(s), 0 warning(s)\n")


def test_migrate_unreadable_file_exits_two(tmp_path: Path) -> None:
    assert run("migrate", str(tmp_path / "missing.yaml"))[0] == 2
