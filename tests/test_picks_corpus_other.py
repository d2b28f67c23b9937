"""Reference corpus: every csv, tardis, IMOD, Dynamo and copick file parses with the counts of its SOURCES.md.

Counts are pinned per file from ``annotations/<folder>/SOURCES.md`` ("parsed content"); the portal-fixture values
are those of the portal's own ingestion tests (cryoet-data-portal-backend ``test_annotations.py``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ingest.converters.picks.registry import ReadOptions, read_picks

ORIENTED = (("shape", "orientedPoint"),)

# (folder/file, format, options, points stated in SOURCES.md)
CASES = [
    ("csv/portal_points.csv", "csv", ReadOptions(), 3),
    ("csv/portal_points_tab_delim.csv", "tsv", ReadOptions(), 3),
    ("csv/portal_points_with_header.csv", "csv_with_header", ReadOptions(), 3),  # 4 lines, one a header
    ("csv/portal_points_with_header_pipe_delim.csv", "csv_with_header", ReadOptions(delimiter="|"), 3),
    ("tardis-csv/portal_tardis.csv", "tardis", ReadOptions(), 6),  # 7 lines, one a header
    ("imod-mod/imodmodel_slicer_angle_example.mod", "mod", ReadOptions(), 4),
    ("imod-mod/imodmodel_two_contour_example.mod", "mod", ReadOptions(), 25),
    ("imod-mod/imodmodel_multiple_objects_example.mod", "mod", ReadOptions(), 6),
    ("imod-mod/imodmodel_point_sizes_example.mod", "mod", ReadOptions(), 18),
    ("imod-mod/imodmodel_meshed_curvature_example.mod", "mod", ReadOptions(), 1176),
    ("imod-mod/imodmodel_meshed_contour_example.mod", "mod", ReadOptions(), 286),
    ("imod-mod/portal_points.mod", "mod", ReadOptions(), 3),
    ("imod-mod/portal_oriented_points.mod", "mod", ReadOptions(), 4),
    ("imod-mod/imodmodel_slicer_angle_example.mod", "mod", ReadOptions(extra=ORIENTED), 4),  # 4 SLAN
    ("imod-mod/imodmodel_multiple_objects_example.mod", "mod", ReadOptions(extra=ORIENTED), 4),  # 4 SLAN
    ("imod-mod/portal_oriented_points.mod", "mod", ReadOptions(extra=ORIENTED), 4),  # 4 SLAN
    ("dynamo-tbl/dynamotable_t_double.tbl", "dynamo_tbl", ReadOptions(), 300),
    ("dynamo-tbl/dynamotable_t_complex.tbl", "dynamo_tbl", ReadOptions(), 8742),
    ("dynamo-tbl/dynamo2m_example.tbl", "dynamo_tbl", ReadOptions(), 4934),
    ("copick/portal_copick.json", "copick", ReadOptions(voxel_spacing=10), 4),
    ("copick/portal_copick_instance.json", "copick", ReadOptions(voxel_spacing=5), 6),
]


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "file_format", "options", "count"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_corpus_file_parses_with_its_stated_count(
    corpus: Path, name: str, file_format: str, options: ReadOptions, count: int
) -> None:
    picks = read_picks(corpus / "annotations" / name, file_format, options)
    assert len(picks) == count
    assert np.isfinite(picks.positions).all()


@pytest.mark.corpus
def test_every_file_in_my_folders_is_covered(corpus: Path) -> None:
    covered = {name for name, *_ in CASES} | {
        "dynamo-tbl/dynamotable_tmap_complex.doc",
        "dynamo-tbl/dynamo2m_example.doc",
    }
    folders = ["csv", "tardis-csv", "imod-mod", "dynamo-tbl", "copick"]
    present = {
        f"{folder}/{path.name}"
        for folder in folders
        for path in (corpus / "annotations" / folder).iterdir()
        if path.name != "SOURCES.md"
    }
    assert present == covered


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("table", "table_map", "lines"),
    [("dynamotable_t_complex.tbl", "dynamotable_tmap_complex.doc", 48), ("dynamo2m_example.tbl", None, 54)],
)
def test_dynamo_table_map_names_select_like_their_indices(
    corpus: Path, table: str, table_map: str | None, lines: int
) -> None:
    folder = corpus / "annotations/dynamo-tbl"
    map_file = folder / (table_map or table.replace(".tbl", ".doc"))
    entries = [line.split() for line in map_file.read_text().splitlines() if line.strip()]
    assert len(entries) == lines
    extra = (("table_map", str(map_file)),)
    for index, tomogram in entries[:3]:
        stem = tomogram.rsplit("/", 1)[-1].split(".")[0]
        by_name = read_picks(folder / table, "dynamo_tbl", ReadOptions(filter_value=stem, extra=extra))
        by_index = read_picks(folder / table, "dynamo_tbl", ReadOptions(filter_value=index))
        assert len(by_name) == len(by_index) > 0
        np.testing.assert_array_equal(by_name.positions, by_index.positions)


@pytest.mark.corpus
def test_portal_parity_csv_mod_tardis_copick(corpus: Path) -> None:
    root = corpus / "annotations"
    expected = [[0.5, 1, 1.5], [1, 1, 1], [0, 1.5, 0]]
    tab = read_picks(root / "csv/portal_points_tab_delim.csv", "csv", ReadOptions(delimiter="\t", binning=2))
    np.testing.assert_allclose(tab.positions, expected, atol=1e-8)
    np.testing.assert_allclose(
        read_picks(root / "imod-mod/portal_points.mod", "mod", ReadOptions(binning=2)).positions, expected
    )
    tardis = read_picks(root / "tardis-csv/portal_tardis.csv", "tardis", ReadOptions(binning=2))
    assert tardis.instance_ids is not None and tardis.instance_ids.tolist() == [0, 0, 1, 1, 1, 2]
    np.testing.assert_allclose(tardis.positions[-1], [1.5, 1, 0.5])
    copick = read_picks(root / "copick/portal_copick.json", "copick", ReadOptions(voxel_spacing=10))
    np.testing.assert_allclose(copick.positions, [[4, 2, 3], [0, 5, 1], [3, 1.5, 9.2], [3, 1, 5]], atol=1e-8)
    assert copick.rotations is not None
    np.testing.assert_allclose(copick.rotations[3], [[0, 0, -1], [0, 1, 0], [1, 0, 0]], atol=1e-8)
