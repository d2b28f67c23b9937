"""Invent concrete paths that a config's finders match: fill a glob's wildcards so that the result also satisfies
the finder's ``match_regex`` (searched in the full source path) and ``name_regex`` (matched on the base name).

The candidates for each wildcard come from a few fixed tokens, the wanted name (a run name, say) and strings built
from the regular expressions themselves (:func:`regex_samples` walks the parsed expression and takes the first
choice of every class, the shortest repetition and each alternative). Every candidate is checked with the
project's own glob matching and with ``re``, so an approximate sample can only cost a candidate, never give a
wrong path.
"""

from __future__ import annotations

import fnmatch
import itertools
import re
import re._constants as sre_constants  # type: ignore[import-not-found]
import re._parser as sre_parse  # type: ignore[import-not-found]
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import Any

from ingest.plan.sources import Listing

_WILDCARD = re.compile(r"\*+|\?+|\[[^\]]+\]")
_CHARS = "ax1_-.A"
_MAX_COMBINATIONS = 4000


def regex_samples(pattern: str | None, limit: int = 32) -> list[str]:
    """Up to ``limit`` strings that ``pattern`` (a Python regular expression) matches, shortest choices first."""
    if not pattern:
        return []
    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return []
    return _sequence(list(parsed), limit)


def _sequence(items: Sequence[Any], limit: int) -> list[str]:
    results = [""]
    for op, argument in items:
        options = _options(op, argument, limit)
        results = [head + tail for head in results for tail in options][:limit]
    return results


def _options(op: Any, argument: Any, limit: int) -> list[str]:
    c = sre_constants
    if op is c.LITERAL:
        return [chr(argument)]
    if op is c.NOT_LITERAL:
        return [next(ch for ch in _CHARS if ord(ch) != argument)]
    if op is c.ANY:
        return [".", "a"]  # "." mostly stands for a literal dot in file names
    if op is c.IN:
        return _chars_in(argument)
    if op is c.BRANCH:
        return [s for branch in argument[1] for s in _sequence(list(branch), limit)][:limit]
    if op is c.SUBPATTERN:
        return _sequence(list(argument[-1]), limit)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
        low, high, sub = argument
        inner = _sequence(list(sub), limit) or [""]
        options = ["".join(itertools.repeat(option, low)) for option in inner[: 2 if low else 1]]
        if high is c.MAXREPEAT or high > low:
            options += [option * max(low, 1) for option in inner]
        return options
    if op is c.CATEGORY:
        return _chars_in([(op, argument)])
    return [""]  # anchors, look-arounds, group references: no characters of their own


def _chars_in(items: Sequence[Any]) -> list[str]:
    """The first two characters of a class (``[...]``, ``\\d``, ...), preferring letters and digits."""
    c = sre_constants
    negate = any(op is c.NEGATE for op, _ in items)

    def member(ch: str) -> bool:
        for op, value in items:
            if op is c.LITERAL and ord(ch) == value:
                return True
            if op is c.RANGE and value[0] <= ord(ch) <= value[1]:
                return True
            if op is c.CATEGORY and re.fullmatch(_CATEGORY_PATTERNS.get(str(value).lower(), "$^"), ch):
                return True
        return False

    found = [ch for ch in _CLASS_ORDER if member(ch) != negate][:2]
    return found or ["a"]


_CLASS_ORDER = "ax12_-.A0bcdefghijklmnopqrstuvwyzBCDEFGHIJKLMNOPQRSTUVWXYZ3456789"


_CATEGORY_PATTERNS = {
    "category_digit": r"\d",
    "category_not_digit": r"\D",
    "category_word": r"\w",
    "category_not_word": r"\W",
    "category_space": r"\s",
    "category_not_space": r"\S",
}


def tokens_from(*patterns: str | None) -> list[str]:
    """Strings to try for a wildcard: the path segments of samples of ``patterns`` (regular expressions)."""
    tokens: list[str] = []
    for pattern in patterns:
        for sample in regex_samples(pattern):
            for part in sample.split("/"):
                if part and part not in tokens:
                    tokens.append(part)
    return tokens


def with_group(pattern: str | None, value: str) -> str | None:
    """``pattern`` with its first capturing group replaced by the literal ``value`` (None without a group)."""
    if not pattern:
        return None
    depth, start = 0, None
    for index, ch in enumerate(pattern):
        if ch == "\\":
            continue
        if index and pattern[index - 1] == "\\":
            continue
        if ch == "(":
            if start is None and not pattern.startswith("(?", index):
                start, depth = index, 0
            elif start is not None:
                depth += 1
        elif ch == ")" and start is not None:
            if depth == 0:
                return pattern[:start] + re.escape(value) + pattern[index + 1 :]
            depth -= 1
    return None


def _slot_candidates(slot: str, tokens: Sequence[str]) -> list[str]:
    if slot.startswith("?"):
        width = len(slot)
        found = [t[i : i + width] for t in tokens for i in range(len(t) - width + 1) if "/" not in t]
        return list(dict.fromkeys([*found, "1" * width]))[:24]
    if slot.startswith("["):
        starts = [t[0] for t in tokens if t] + list(_CLASS_ORDER)
        return list(dict.fromkeys(ch for ch in starts if re.fullmatch(_class(slot), ch)))[:12] or ["a"]
    return list(dict.fromkeys(t for t in tokens if "/" not in t))


def _class(slot: str) -> str:
    body = slot[1:-1]
    if body.startswith("!"):
        body = "^" + body[1:]
    return f"[{body}]"


def _segment_candidates(segment: str, tokens: Sequence[str]) -> list[str]:
    """Fillings of one path segment: whole tokens the segment's glob matches, then slot-by-slot fillings."""
    slots = _WILDCARD.findall(segment)
    if not slots:
        return [segment]
    whole = [t for t in tokens if "/" not in t and fnmatch.fnmatchcase(t, segment)]
    pieces = _WILDCARD.split(segment)
    choices = [_slot_candidates(slot, tokens) for slot in slots]
    filled = (
        pieces[0] + "".join(fill + piece for fill, piece in zip(combination, pieces[1:], strict=True))
        for combination in itertools.islice(itertools.product(*choices), 1000)
    )
    return list(dict.fromkeys([*filled, *whole]))


def fill_glob(pattern: str, tokens: Sequence[str], accept: Callable[[str], bool]) -> str | None:
    """The first filling of ``pattern``'s wildcards (``**`` segments dropped) that ``accept`` takes and that the
    project's glob matching finds; None when no combination of ``tokens`` works."""
    segments = [s for s in pattern.strip("/").split("/") if s not in ("", ".", "**")]
    choices = [_segment_candidates(segment, tokens) for segment in segments]
    for combination in itertools.islice(itertools.product(*choices), _MAX_COMBINATIONS):
        path = "/".join(combination)
        if path and accept(path) and path in Listing.of([path], root="synthetic").glob(pattern):
            return path
    return None


def finder_accepts(
    full_prefix: str,
    match_regex: str | None,
    name_regex: str | None,
    want_name: str | None,
    avoid_names: Collection[str] = (),
) -> Callable[[str], bool]:
    """Whether a key (relative to the source prefix) passes a source_glob finder: ``match_regex`` searched in the
    full path ``{full_prefix}/{key}`` and ``name_regex`` matched on the base name, giving ``want_name`` when set."""
    match = re.compile(match_regex or ".*")
    name_pattern = re.compile(name_regex or "(.*)")

    def accept(key: str) -> bool:
        full = f"{full_prefix.rstrip('/')}/{key}" if full_prefix else key
        if not match.search(full):
            return False
        found = name_pattern.match(key.rsplit("/", 1)[-1])
        name = found.group(1) if found is not None and found.re.groups else found.group(0) if found else None
        if not name or name.startswith(".") or name in avoid_names:
            return False
        return want_name is None or name == want_name

    return accept


def invent_path(
    pattern: str,
    *,
    full_prefix: str = "",
    match_regex: str | None = None,
    name_regex: str | None = None,
    want_name: str | None = None,
    extension: str = "",
    extra_tokens: Sequence[str] = (),
    avoid: Collection[str] = (),
    avoid_names: Collection[str] = (),
) -> str | None:
    """A key matching ``pattern`` that the finder accepts (see :func:`finder_accepts`) and is not in ``avoid``."""
    accepts = finder_accepts(full_prefix, match_regex, name_regex, want_name, avoid_names)

    def accept(key: str) -> bool:
        hidden = any(part.startswith(".") for part in key.split("/"))
        return not hidden and key not in avoid and accepts(key)

    base = [want_name] if want_name else []
    name = want_name or ""
    pieces = [name[i:] for i in range(1, len(name))] + [name[:i] for i in range(1, len(name))]
    named = tokens_from(with_group(name_regex, want_name)) if want_name else []
    tokens = [*base, *named, *extra_tokens, *tokens_from(match_regex, name_regex), "x", "1", *pieces]
    last = _WILDCARD.sub("", pattern.rsplit("/", 1)[-1])
    if extension and "." not in last:
        tokens = [*(f"{t}{extension}" for t in (*base, "x", "y")), *tokens]
    return fill_glob(pattern, list(dict.fromkeys(tokens)), accept)


def iter_run_like_names() -> Iterator[str]:
    """Plausible run names to try when nothing else constrains them."""
    yield from ("TS001", "TS002", "001", "002", "TS_001", "TS_002", "run_001", "run_002")
