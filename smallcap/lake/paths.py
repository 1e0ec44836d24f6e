"""File paths handed to DuckDB's readers, which expand glob patterns even in a list of files.

A data folder may be called `reports [2026]` or `*`: read as a pattern, such a path matches other
folders (`reports 2`) or nothing. Each of `*`, `?` and `[` is put in a bracket class of its own, so
the pattern matches only the file itself; DuckDB still reports the file's real name (`filename`).
"""

from __future__ import annotations

from collections.abc import Iterable

_SPECIAL = {"*": "[*]", "?": "[?]", "[": "[[]"}


def literal(path: str) -> str:
    """`path` as a DuckDB glob that matches exactly that file."""
    return "".join(_SPECIAL.get(char, char) for char in path)


def literals(paths: Iterable[str]) -> list[str]:
    return [literal(p) for p in paths]
