"""Storage URLs and ``key=value`` options: parsing, typing, and clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.errors import StorageError, UsageError
from ingest.storage.base import open_storage, parse_storage_options, typed_storage_options


def test_pairs_split_on_the_first_equals_sign() -> None:
    pairs = ["endpoint_url=http://127.0.0.1:5000/?a=b", "anon=true"]
    assert parse_storage_options(pairs) == {"endpoint_url": "http://127.0.0.1:5000/?a=b", "anon": "true"}


@pytest.mark.parametrize("pair", ["no-equals", "=value", "  =x"])
def test_malformed_pair_is_a_usage_error(pair: str) -> None:
    with pytest.raises(UsageError, match="expected KEY=VALUE"):
        parse_storage_options([pair])


def test_repeated_option_is_refused() -> None:
    with pytest.raises(UsageError, match="given twice"):
        parse_storage_options(["anon=true", "anon=false"])


def test_values_are_typed_and_dotted_names_nest() -> None:
    typed = typed_storage_options(
        {
            "anon": "True",
            "use_ssl": "false",
            "default_block_size": "5242880",
            "config_kwargs.connect_timeout": "2.5",
            "config_kwargs.retries.max_attempts": "3",
            "client_kwargs.region_name": "eu-west-1",
            "profile": "123",
            "key": "true",
            "session_kwargs": "none",
        }
    )
    assert typed == {
        "anon": True,
        "use_ssl": False,
        "default_block_size": 5242880,
        "config_kwargs": {"connect_timeout": 2.5, "retries": {"max_attempts": 3}},
        "client_kwargs": {"region_name": "eu-west-1"},
        "profile": "123",
        "key": "true",
        "session_kwargs": None,
    }


def test_option_with_both_value_and_nested_options_is_refused() -> None:
    with pytest.raises(UsageError, match="client_kwargs"):
        typed_storage_options({"client_kwargs": "x", "client_kwargs.region_name": "eu-west-1"})


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30))
def test_string_valued_options_round_trip_unchanged(value: str) -> None:
    assert typed_storage_options({"endpoint_url": value}) == {"endpoint_url": value}


def test_unsupported_protocol_lists_the_supported_ones() -> None:
    with pytest.raises(UsageError, match=r"expected a local path, file://PATH, memory://PATH or s3://"):
        open_storage("ftp://host/path")


def test_options_for_a_local_path_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="only for s3://"):
        open_storage(str(tmp_path), {"anon": "true"})


def test_s3_url_needs_a_bucket() -> None:
    with pytest.raises(UsageError, match="without a bucket"):
        open_storage("s3://")


def test_local_root_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"")
    with pytest.raises(StorageError, match="is a file"):
        open_storage(f"file://{tmp_path / 'f'}")


def test_file_url_and_plain_path_open_the_same_root(tmp_path: Path) -> None:
    open_storage(f"file://{tmp_path}").publish_bytes("a/b", b"1")
    assert open_storage(str(tmp_path)).read_bytes("a/b") == b"1"
    assert (tmp_path / "a" / "b").read_bytes() == b"1"


def test_s3_endpoint_and_credentials_come_from_the_aws_environment(
    s3_endpoint: str, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    storage = open_storage(f"s3://{s3_bucket}/out", {"skip_instance_cache": "true"})
    storage.publish_bytes("run/run_metadata.json", b"{}")
    assert open_storage(f"s3://{s3_bucket}", {"endpoint_url": s3_endpoint}).list_keys() == ["out/run/run_metadata.json"]
