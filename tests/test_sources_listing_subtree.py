"""Listing.files_under walks one folder's part of the index."""

from __future__ import annotations

from ingest.plan.sources import Listing


def test_files_under_is_recursive_and_excludes_sibling_prefixes() -> None:
    listing = Listing.of(["a/b/x.json", "a/b/c/y.json", "a/bc/z.json", "top.json"], root="mem")
    assert listing.files_under("a/b") == ("a/b/c/y.json", "a/b/x.json")
    assert listing.files_under("") == ("a/b/c/y.json", "a/b/x.json", "a/bc/z.json", "top.json")
    assert listing.files_under("missing") == ()
