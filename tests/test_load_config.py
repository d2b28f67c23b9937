"""``load_config``: a validated, typed config, or one ConfigError naming the first problem."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from configs_under_test import Edit, edited, line_of, minimal_text, write_config

from ingest.config.load import load_config, read_config
from ingest.config.positioned_yaml import YamlReadError, position_of
from ingest.errors import ConfigError
from ingest.models.ingestion_config import DepositionConfig


def test_valid_config_loads_typed(tmp_path: Path) -> None:
    loaded = load_config(write_config(tmp_path, minimal_text()))
    assert isinstance(loaded.config, DepositionConfig)
    assert loaded.config.standardization_config.deposition_id == 90001
    assert isinstance(loaded.tree, yaml.MappingNode)
    assert loaded.upgrade is None


def test_invalid_config_raises_with_location_and_count(tmp_path: Path) -> None:
    text = edited(minimal_text(), Edit("dose_rate: 2.5", "dose_rate: -1"), Edit("id: GO:0005840", "id: GO:1"))
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.where == f"{path}:{line_of(text, 'dose_rate')}:5"
    assert "E-DOSE-RATE" in caught.value.message and "and 1 more error(s)" in caught.value.message


def test_unreadable_config_raises_with_exit_code_two(tmp_path: Path) -> None:
    with pytest.raises(YamlReadError) as caught:
        load_config(tmp_path / "missing.yaml")
    assert caught.value.exit_code == 2


def test_older_config_loads_upgraded(tmp_path: Path) -> None:
    loaded = load_config(write_config(tmp_path, edited(minimal_text(), Edit("version: 1.3.0", "version: 1.1.0"))))
    assert loaded.config.version == "1.3.0"
    assert loaded.upgrade is not None and loaded.upgrade.from_version == "1.1.0"


def test_positions_follow_paths_into_lists(tmp_path: Path) -> None:
    raw = read_config(write_config(tmp_path, minimal_text()))
    position = position_of(raw.document.tree, ("annotations", 0, "sources", 0, "Point", "glob_string"))
    assert position is not None
    assert (position.line, position.column) == (line_of(minimal_text(), "glob_string"), 7)


def test_template_errors_stop_loading(tmp_path: Path) -> None:
    text = edited(minimal_text(), Edit("float {tilt_min}", "float {tilt_minimum}"))
    with pytest.raises(ConfigError, match="E-TEMPLATE-COLUMN"):
        load_config(write_config(tmp_path, text))


def test_input_root_locates_the_run_map_for_loading(tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()
    config = write_config(tmp_path / "configs", minimal_text(), with_run_map=False)
    (tmp_path / "bucket" / "input").mkdir(parents=True)
    (tmp_path / "bucket" / "input" / "run_data.csv").write_text("run_name,tilt_min\nTS_001,-60\n")
    with pytest.raises(ConfigError, match="tilt_max"):
        load_config(config, input_root=tmp_path / "bucket")
    assert load_config(config).config.version == "1.3.0"  # map not found: a warning, loading goes on
