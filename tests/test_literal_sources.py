"""Literal file paths (key photos) read as the portal reads them: ``bucket/key`` from that bucket (S3 input: that
S3 bucket; local input: ``--bucket-root DIR``), URLs downloaded through fsspec (a local HTTP server on 127.0.0.1),
a URL that cannot be fetched failing only what needs it."""

from __future__ import annotations

import functools
import http.server
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image

from ingest.cli import main
from ingest.errors import InputFileError
from ingest.pipeline.example import write_example
from ingest.pipeline.literal_files import PNG_SIGNATURE, LiteralPlaces, read_literal_file

EXAMPLE_PHOTOS = ("keyphotos/snapshot.png", "keyphotos/thumbnail.png")


def picture(fmt: str, size: tuple[int, int] = (8, 6)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A folder served over HTTP on 127.0.0.1 (a thread of this test), and its base URL."""
    folder = tmp_path / "www"
    folder.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def example_with_photos(folder: Path, snapshot: str, thumbnail: str) -> Path:
    """The example deposition with its key photo literals replaced."""
    write_example(folder)
    config = folder / "example.yaml"
    text = config.read_text().replace(EXAMPLE_PHOTOS[0], snapshot).replace(EXAMPLE_PHOTOS[1], thumbnail)
    config.write_text(text)
    return config


def ingest_levels(config: Path, output: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    args = ["deposition", str(config), "--output", str(output), "--only", "depositions,datasets,runs"]
    result = CliRunner().invoke(main, [*args, "--workers", "1", "--no-check", "--format", "json", *extra])
    assert result.exit_code in {0, 1}, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return result.exit_code, report


def test_urls_are_downloaded_and_converted_to_png(tmp_path: Path, http_root: tuple[str, Path]) -> None:
    url, www = http_root
    (www / "icon-l.gif").write_bytes(picture("GIF", (16, 12)))
    (www / "icon.png").write_bytes(picture("PNG"))
    config = example_with_photos(tmp_path / "in", f"{url}/icon-l.gif", f"{url}/icon.png")
    code, report = ingest_levels(config, tmp_path / "out")
    assert code == 0, report
    images = tmp_path / "out/90001/Images"
    assert (images / "thumbnail.png").read_bytes() == (www / "icon.png").read_bytes()
    snapshot = (images / "snapshot.png").read_bytes()
    assert snapshot.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(snapshot)) as image:
        assert image.size == (16, 12)
    dataset = json.loads((tmp_path / "out/90001/dataset_metadata.json").read_text())
    assert dataset["key_photos"] == {"snapshot": "90001/Images/snapshot.png", "thumbnail": "90001/Images/thumbnail.png"}


def test_a_url_that_cannot_be_fetched_fails_only_what_needs_it(tmp_path: Path, http_root: tuple[str, Path]) -> None:
    url, www = http_root
    (www / "ok.png").write_bytes(picture("PNG"))
    config = example_with_photos(tmp_path / "in", f"{url}/missing.gif", f"{url}/ok.png")
    code, report = ingest_levels(config, tmp_path / "out")
    assert code == 1
    assert [run["error"] for run in report["runs"]] == [None, None]  # every run was ingested
    failures = [error for error in report["errors"] if f"{url}/missing.gif" in error]
    assert len(failures) == 2, report["errors"]  # the deposition's and the dataset's snapshot, each naming the URL
    assert (tmp_path / "out/90001/Images/thumbnail.png").is_file()
    assert not (tmp_path / "out/90001/Images/snapshot.png").exists()
    # the next run tries the entities that failed again, and succeeds once the file is there
    (www / "missing.gif").write_bytes(picture("GIF"))
    code, report = ingest_levels(config, tmp_path / "out")
    assert code == 0 and report["errors"] == []
    assert (tmp_path / "out/90001/Images/snapshot.png").is_file()


def test_bucket_key_literals_are_read_under_the_bucket_root(tmp_path: Path) -> None:
    buckets = tmp_path / "buckets"
    photo = buckets / "cryoetportal-rawdatasets-dev/deposition_key_photos/snap.png"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(picture("PNG", (10, 10)))
    literal = "cryoetportal-rawdatasets-dev/deposition_key_photos/snap.png"
    config = example_with_photos(tmp_path / "in", literal, literal)
    code, report = ingest_levels(config, tmp_path / "out")
    assert code == 1
    assert any(literal in error and "--bucket-root" in error for error in report["errors"]), report["errors"]
    code, report = ingest_levels(config, tmp_path / "out2", "--bucket-root", str(buckets))
    assert code == 0, report
    assert (tmp_path / "out2/90001/Images/snapshot.png").read_bytes() == photo.read_bytes()


def test_validate_checks_bucket_key_literals_under_the_bucket_root(tmp_path: Path) -> None:
    buckets = tmp_path / "buckets"
    (buckets / "b/k").mkdir(parents=True)
    (buckets / "b/k/snap.png").write_bytes(picture("PNG"))
    config = example_with_photos(tmp_path / "in", "b/k/snap.png", "b/k/missing.png")
    result = CliRunner().invoke(main, ["validate", str(config), "--bucket-root", str(buckets)])
    assert result.exit_code == 1
    assert "E-LITERAL-MISSING" in result.output and "missing.png" in result.output
    assert "snap.png" not in result.output.replace("missing.png", "")
    assert "thumbnail" in result.output  # the config path of the finding
    plain = CliRunner().invoke(main, ["validate", str(config)])
    assert "E-LITERAL-MISSING" not in plain.output  # without --bucket-root the buckets are not checked


def test_bucket_key_literals_of_an_s3_input_are_read_from_that_bucket(s3_endpoint: str, s3_client: Any) -> None:
    s3_client.create_bucket(Bucket="photo-bucket")
    s3_client.put_object(Bucket="photo-bucket", Key="photos/snap.png", Body=picture("PNG"))
    s3_client.create_bucket(Bucket="input-bucket")
    places = LiteralPlaces("s3://input-bucket/prefix", "src", None, (("endpoint_url", s3_endpoint),))
    data = read_literal_file("photo-bucket/photos/snap.png", places, what="snapshot", where="x")
    assert data == picture("PNG")
    with pytest.raises(InputFileError) as error:
        read_literal_file("photo-bucket/photos/none.png", places, what="snapshot", where="cfg dataset_keyphotos[0]")
    assert "s3://photo-bucket/photos/none.png" in error.value.message
