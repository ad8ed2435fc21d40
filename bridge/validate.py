"""The one TOML-table -> dataclass validator, shared by the config, the tracking config and the preset parser.

Every problem reads ``file:line: key: what is wrong (did you mean ...)``: ``Problems`` collects them (the line
comes from a locator over the TOML text, since tomllib keeps no positions), ``did_you_mean`` is the one spelling
helper, and ``from_table`` builds a dataclass from a table using its type hints and field metadata
(``bridge.fields.doc``: ``minimum``, ``maximum``, ``choices``). Unknown keys, wrong types, values out of range and
the dataclass's own ``__post_init__`` checks all become problems; nothing is half-applied.

Depends on the standard library only, so ``retarget`` can use it and stay importable without the rest of the bridge.
"""

from __future__ import annotations

import bisect
import collections.abc
import dataclasses
import difflib
import math
import re
import types
import typing
from collections.abc import Callable, Iterable
from typing import Any, Literal

KeyPath = tuple[str | int, ...]  # ("outputs", 0, "port"): table keys and array indexes
Locate = Callable[[KeyPath], int | None]  # 1-based line of a key path in the TOML text, or None


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest candidate (case-insensitive), or ``""``."""
    by_lower = {str(c).lower(): str(c) for c in candidates}
    close = difflib.get_close_matches(str(name).lower(), list(by_lower), n=1, cutoff=0.6)
    return f" (did you mean {by_lower[close[0]]!r}?)" if close else ""


def key_text(path: KeyPath) -> str:
    """``("outputs", 0, "port")`` -> ``outputs[0].port``."""
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")


def describe(value: Any) -> str:
    """How a TOML value reads in an error: ``a string ('1')``, ``an integer (3)``, ``a table``."""
    if isinstance(value, dict):
        return "a table"
    kind = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array"}
    return f"{kind.get(type(value), type(value).__name__)} ({value!r})"


class ValidationError(ValueError):
    """One or more problems, one ``file:line: key: what is wrong`` line each."""

    def __init__(self, problems: str | list[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class Problems:
    """Collects problems for one file. ``label`` names the file; ``locate`` finds a key's line (optional)."""

    def __init__(self, label: str, locate: Locate | None = None) -> None:
        self.label = label
        self.locate = locate
        self.items: list[str] = []

    def add(self, path: KeyPath, message: str) -> None:
        """Record ``file:line: key: message`` (the line and key are left out when unknown / empty)."""
        line = self.locate(path) if (self.locate is not None and path) else None
        where = f"{self.label}:{line}" if line else self.label
        key = key_text(path)
        self.items.append(f"{where}: {key}: {message}" if key else f"{where}: {message}")

    def unknown_key(self, path: KeyPath, allowed: Iterable[str], what: str = "key") -> None:
        """``unknown key 'x' (did you mean 'y'?); allowed: a, b, c`` at ``path`` (whose last part is the key)."""
        allowed = [str(a) for a in allowed]
        key = str(path[-1])
        self.add(path, f"unknown {what} {key!r}{did_you_mean(key, allowed)}; allowed: {', '.join(allowed) or '(none)'}")

    def raise_if_any(self, error: type[ValidationError] = ValidationError) -> None:
        """Raise ``error`` listing every problem, if there are any."""
        if self.items:
            raise error(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)


class _Bad:
    """Marker for a value that failed its check (already recorded as a problem)."""


BAD: Any = _Bad()


def _type_name(hint: Any) -> str:
    names = {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}
    if hint in names:
        return names[hint]
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def check_value(value: Any, hint: Any, meta: dict[str, Any], problems: Problems, path: KeyPath) -> Any:
    """``value`` (from TOML) checked against a field type hint + metadata; returns it in the field's Python type,
    or ``BAD`` after recording the problem."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        for option in options:
            trial = Problems(problems.label)
            result = check_value(value, option, meta, trial, path)
            if result is not BAD:
                return result
        if len(options) == 1:
            return check_value(value, options[0], meta, problems, path)
        problems.add(path, f"expected {' or '.join(_type_name(o) for o in options)}, got {describe(value)}")
        return BAD
    if origin is Literal:
        if value not in args:
            allowed = [str(a) for a in args]
            problems.add(path, f"{value!r} is not allowed{did_you_mean(str(value), allowed)}; "
                               f"allowed: {', '.join(allowed)}")
            return BAD
        return value
    if hint is bool:
        if not isinstance(value, bool):
            problems.add(path, f"expected true or false, got {describe(value)}")
            return BAD
        return value
    if hint in (int, float):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or (hint is int and not isinstance(value, int)):
            problems.add(path, f"expected {_type_name(hint)}, got {describe(value)}")
            return BAD
        value = hint(value)
        if not math.isfinite(value):
            problems.add(path, f"must be a finite number, got {value!r}")
            return BAD
        lo, hi = meta.get("minimum"), meta.get("maximum")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            problems.add(path, f"{value!r} is out of range; allowed: {lo} .. {hi}")
            return BAD
    elif hint is str:
        if not isinstance(value, str):
            problems.add(path, f"expected a string, got {describe(value)}")
            return BAD
    elif origin in (tuple, list):
        if not isinstance(value, list | tuple):
            problems.add(path, f"expected an array, got {describe(value)}")
            return BAD
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                problems.add(path, f"expected an array of {len(args)} values, got {len(value)}")
                return BAD
            items = [check_value(v, a, {}, problems, (*path, i)) for i, (v, a) in enumerate(zip(value, args,
                                                                                                  strict=True))]
        else:
            item = args[0] if args else Any
            items = [check_value(v, item, {}, problems, (*path, i)) for i, v in enumerate(value)]
        if any(i is BAD for i in items):
            return BAD
        value = tuple(items) if origin is tuple else items
    elif origin in (dict, collections.abc.Mapping) or hint is dict:
        if not isinstance(value, dict):
            problems.add(path, f"expected a table {{ key = value }}, got {describe(value)}")
            return BAD
        item = args[1] if len(args) == 2 else Any
        checked = {str(k): check_value(v, item, {}, problems, (*path, str(k))) for k, v in value.items()}
        if any(v is BAD for v in checked.values()):
            return BAD
        value = checked
    elif dataclasses.is_dataclass(hint) and isinstance(hint, type):
        result = from_table(hint, value, problems, path)
        return BAD if result is None else result
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        allowed = [str(c) for c in choices]
        problems.add(path, f"{value!r} is not allowed{did_you_mean(str(value), allowed)}; "
                           f"allowed: {', '.join(allowed)}")
        return BAD
    return value


T = typing.TypeVar("T")


def from_table(cls: type[T], table: Any, problems: Problems, path: KeyPath = (),
               skip: Iterable[str] = ()) -> T | None:
    """Build dataclass ``cls`` from a TOML table; missing keys keep their defaults.

    Every problem (unknown key, bad value, the dataclass's own ValueError/TypeError/RuntimeError) is recorded in
    ``problems``; returns None when there was any. ``skip`` names keys the caller already handled (e.g. ``kind``).
    """
    if not isinstance(table, dict):
        problems.add(path, f"expected a table, got {describe(table)}")
        return None
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    skipped = set(skip)
    before = len(problems)
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        if key in skipped:
            continue
        if key not in fields:
            problems.unknown_key((*path, key), fields)
            continue
        checked = check_value(value, hints[key], dict(fields[key].metadata), problems, (*path, key))
        if checked is not BAD:
            kwargs[key] = checked
    if len(problems) > before:
        return None
    try:
        return cls(**kwargs)
    except (TypeError, ValueError, RuntimeError) as exc:  # the dataclass's own checks (SourceError: RuntimeError)
        report_check_failure(problems, path, str(exc))
        return None


_LEADING_KEY = re.compile(r"^([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*):? (.*)$", re.DOTALL)


def report_check_failure(problems: Problems, path: KeyPath, message: str, known: Iterable[str] = ()) -> None:
    """Record a dataclass self-check message. When it starts with a dotted key (``failure.frozen_frames must
    be ...``) and that key's first part is in ``known`` (or ``known`` is empty and it names a nested key), the
    problem is placed on that key so it gets its line number."""
    m = _LEADING_KEY.match(message)
    known = set(known)
    if m and "." in m.group(1) and (not known or m.group(1).split(".")[0] in known):
        problems.add((*path, *m.group(1).split(".")), m.group(2))
    else:
        problems.add(path, message)


# ------------------------------------------------------------------------------------------------ line locator


class KeyLocator:
    """Finds the line of a key path in TOML text (tomllib keeps no positions). Heuristic but robust: the deepest
    ``[table]`` header that is a prefix of the path (``[[array]]`` headers are counted, so ``("outputs", 1)`` is
    the second ``[[outputs]]``), then each remaining key in order within that table's lines.

    The text is indexed once (headers by path, lines by the keys they assign), so a file with thousands of
    problems costs a lookup per problem, not a scan of the file.
    """

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    # A key as assignments and dotted keys write it: bare, "double" or 'single' quoted, followed by = or '.'.
    _KEY = re.compile(r"(?:^|(?<=[\s{,.\[]))(?:\"([^\"\n]*)\"|'([^'\n]*)'|([A-Za-z0-9_-]+))\s*[=.]")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        headers: list[tuple[int, tuple[str | int, ...]]] = []
        counts: dict[tuple[str, ...], int] = {}
        self._key_lines: dict[str, list[int]] = {}  # key -> lines mentioning it as a key, ascending
        for i, line in enumerate(self.lines):
            m = self._HEADER.match(line)
            if m:
                parts = tuple(p.strip().strip("\"'") for p in m.group(2).split("."))
                if m.group(1) == "[[":
                    n = counts.get(parts, 0)
                    counts[parts] = n + 1
                    headers.append((i, (*parts, n)))
                else:
                    headers.append((i, parts))
            for km in self._KEY.finditer(line):
                key = next(g for g in km.groups() if g is not None)
                lines = self._key_lines.setdefault(key, [])
                if not lines or lines[-1] != i:
                    lines.append(i)
        # header path -> (line, end) of its last occurrence
        self._tables: dict[tuple[str | int, ...], tuple[int, int]] = {}
        for k, (i, parts) in enumerate(headers):
            end = headers[k + 1][0] if k + 1 < len(headers) else len(self.lines)
            self._tables[parts] = (i, end)

    def line_of(self, path: KeyPath) -> int | None:
        """1-based line of ``path`` (best effort), or None when the text has no trace of it."""
        start, end, depth = 0, len(self.lines), 0
        for d in range(len(path), 0, -1):  # the deepest header that is a prefix of the path
            table = self._tables.get(tuple(path[:d]))
            if table is not None:
                (start, end), depth = table, d
                break
        line, found = start, depth > 0
        for key in path[depth:]:
            if isinstance(key, int):  # an index into an inline array: stay on the array's line
                continue
            lines = self._key_lines.get(key, [])
            j = bisect.bisect_left(lines, line)
            if j == len(lines) or lines[j] >= end:
                break
            line, found = lines[j], True
        return line + 1 if found else None
