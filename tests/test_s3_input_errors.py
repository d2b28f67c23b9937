"""A malformed source file read from an ``s3://`` input is named by its URL in the deposition's report, never by
the temporary local copy the converter read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from ingest.cli import main
from ingest.pipeline.example import write_example


def test_a_malformed_pick_file_on_s3_is_named_by_its_url(
    tmp_path: Path, s3_endpoint: str, s3_client: Any, s3_bucket: str
) -> None:
    lab = tmp_path / "lab"
    write_example(lab)
    (lab / "phantom/picks/TS_001_ribosome.csv").write_text("10,20,thirty\n")
    for path in sorted(lab.rglob("*")):
        if path.is_file():
            s3_client.put_object(
                Bucket=s3_bucket, Key=f"lab/{path.relative_to(lab).as_posix()}", Body=path.read_bytes()
            )
    result = CliRunner().invoke(
        main,
        ["deposition", str(lab / "example.yaml"), "--input", f"s3://{s3_bucket}/lab", "--output", str(tmp_path / "out"),
         "--storage-option", f"endpoint_url={s3_endpoint}", "--workers", "1", "--format", "json", "--quiet"],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    text = json.dumps(json.loads(result.stdout))
    assert f"s3://{s3_bucket}/lab/phantom/picks/TS_001_ribosome.csv" in text, text
    assert "ingest-fetch-" not in text and "ingest-fetch-" not in result.stderr
