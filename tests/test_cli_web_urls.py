"""``http://`` / ``https://`` inputs of the convert commands (read only): served by a real HTTP server on
127.0.0.1, they convert exactly as the local files do; a missing file or an unreachable server is exit 2 with one
line naming the URL."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.test_cli_urls import convert_volume, error_lines, files, invoke, picks_files, write_mrc


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on 127.0.0.1, and its base URL."""
    folder = tmp_path / "served"
    folder.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_volume_and_an_ome_zarr_over_http_equal_the_local_conversions(
    tmp_path: Path, served: tuple[Path, str]
) -> None:
    import numpy as np

    folder, base = served
    volume = write_mrc(folder / "in.mrc", np.random.default_rng(5).normal(size=(9, 10, 11)).astype(np.float32))
    local = convert_volume(str(volume), str(tmp_path / "a" / "v.zarr"), str(tmp_path / "a" / "v.mrc"))
    remote = convert_volume(f"{base}/in.mrc", str(tmp_path / "b" / "v.zarr"), str(tmp_path / "b" / "v.mrc"))
    assert local.exit_code == remote.exit_code == 0, remote.output
    assert files(tmp_path / "b") == files(tmp_path / "a") != {}
    convert_volume(str(volume), str(folder / "src.zarr"), str(tmp_path / "src.mrc"))
    from_zarr = invoke("convert", "volume", f"{base}/src.zarr", str(tmp_path / "c" / "v.zarr"), "--voxel-spacing", "4")
    assert from_zarr.exit_code == 0, from_zarr.output
    assert files(tmp_path / "c" / "v.zarr") == files(tmp_path / "a" / "v.zarr")


def test_picks_over_http_with_an_http_tomogram_equal_the_local_conversion(
    tmp_path: Path, served: tuple[Path, str]
) -> None:
    folder, base = served
    source, tomogram = picks_files(folder)
    local = invoke("convert", "picks", str(source), str(tmp_path / "a.ndjson"), "--from", "csv",
                   "--tomogram", str(tomogram))  # fmt: skip
    remote = invoke("convert", "picks", f"{base}/{source.name}", str(tmp_path / "b.ndjson"), "--from", "csv",
                    "--tomogram", f"{base}/{tomogram.name}")  # fmt: skip
    assert local.exit_code == remote.exit_code == 0, remote.output
    assert (tmp_path / "b.ndjson").read_bytes() == (tmp_path / "a.ndjson").read_bytes()


def test_a_missing_file_or_an_unreachable_server_is_exit_2_naming_the_url(
    tmp_path: Path, served: tuple[Path, str]
) -> None:
    _, base = served
    for url in (f"{base}/nothing.csv", f"http://127.0.0.1:{free_port()}/p.csv"):
        result = invoke("convert", "picks", url, str(tmp_path / "o.ndjson"), "--from", "csv")
        assert result.exit_code == 2, result.output
        (line,) = error_lines(result)
        assert line.startswith(f"error: {url}: "), line
    assert not (tmp_path / "o.ndjson").exists()


def test_storage_options_are_refused_for_a_web_url(tmp_path: Path, served: tuple[Path, str]) -> None:
    folder, base = served
    source, _ = picks_files(folder)
    result = invoke("convert", "picks", f"{base}/{source.name}", str(tmp_path / "o.ndjson"), "--from", "csv",
                    "--storage-option", "anon=true")  # fmt: skip
    assert result.exit_code == 2 and "only for s3:// URLs" in result.stderr
