"""The universe: which indices the pipeline tracks, their names and symbols, and the ratios between them.

One TOML file per deployment (`default.toml` beside this module gives the product's own three
indices and one ratio; SMALLCAP_UNIVERSE names another). Sources, the gate, the warehouse, the
chart and the drafts all read it from here. A file with a mistake is refused as a whole, in one
line naming the file and the entry (UniverseError), before a run starts.
"""

from __future__ import annotations

import tomllib
from datetime import date
from functools import lru_cache
from importlib.resources import as_file, files
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from smallcap.errors import SettingsError

DEFAULT_FILE = files("smallcap.universe") / "default.toml"
# The sources a symbol can be given for: network sources. A file source (sample, csv) uses the code.
SYMBOL_SOURCES = ("yahoo", "fred")


class UniverseError(SettingsError):
    """A universe file that cannot be used: unreadable, or an entry that is wrong."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IndexSpec(_Strict):
    code: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    name_en: str = Field(min_length=1)
    name_ja: str = Field(min_length=1)
    symbols: dict[str, str] = Field(default_factory=dict)
    start: date | None = None
    phrase_en: str | None = None  # how running English text names it; default "the <name_en>"

    @property
    def phrase(self) -> str:
        return self.phrase_en or f"the {self.name_en}"


class PairSpec(_Strict):
    numerator: str
    denominator: str
    window_weeks: int = Field(default=26, ge=1)
    # None: the settings' SMALLCAP_DEVIATION_BASIS / SMALLCAP_DEVIATION_FORM.
    deviation_basis: Literal["weekly", "daily"] | None = None
    deviation_form: Literal["relative", "points"] | None = None

    @property
    def name(self) -> str:
        return f"{self.numerator}/{self.denominator}"


class Universe(_Strict):
    indices: tuple[IndexSpec, ...] = Field(alias="index", min_length=1)
    pairs: tuple[PairSpec, ...] = Field(alias="pair", min_length=1)
    comment_pair: str
    large_caps: tuple[str, ...] = Field(min_length=1)
    path: str = ""  # the file it was read from (for messages)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(i.code for i in self.indices)

    def index(self, code: str) -> IndexSpec:
        return next(i for i in self.indices if i.code == code)

    @property
    def comment(self) -> PairSpec:
        return next(p for p in self.pairs if p.name == self.comment_pair)

    @property
    def others(self) -> tuple[str, ...]:
        """Indices neither in the comment's pair nor among its large caps: the drafts' short table."""
        named = {self.comment.numerator, self.comment.denominator, *self.large_caps}
        return tuple(c for c in self.codes if c not in named)

    def symbols(self, source: str) -> dict[str, str]:
        """code → symbol for a network source, for the indices that source carries."""
        return {i.code: i.symbols[source] for i in self.indices if source in i.symbols}

    def started_by(self, day: date) -> tuple[str, ...]:
        """The indices whose history has begun on or before `day` (all without a start date)."""
        return tuple(i.code for i in self.indices if i.start is None or i.start <= day)


def load(path: Path) -> Universe:
    """Read and check a universe file; UniverseError names the file and the entry in one line."""
    where = f"universe file {path}"
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UniverseError(f"{where}: cannot be read ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UniverseError(f"{where}: not valid TOML ({exc})") from None
    problem = _entry_problem(raw)
    if problem:
        raise UniverseError(f"{where}: {problem}")
    try:
        return Universe.model_validate({**raw, "path": str(path)})
    except ValidationError as exc:
        raise UniverseError(f"{where}: {_first_error(exc, raw)}") from None


def _entry_problem(raw: dict) -> str | None:
    """The mistakes a reader names by entry, found before pydantic's own type checks."""
    indices = raw.get("index")
    if not isinstance(indices, list) or not indices:
        return "no [[index]] entries"
    seen: set[str] = set()
    for n, entry in enumerate(indices, 1):
        if not isinstance(entry, dict):
            return f"[[index]] #{n} is not a table"
        code = entry.get("code")
        label = f"index {code}" if code else f"[[index]] #{n}"
        if not code:
            return f"{label}: no code"
        if code in seen:
            return f"{label}: duplicate code {code!r}"
        seen.add(code)
        for key in ("name_en", "name_ja"):
            if not str(entry.get(key) or "").strip():
                return f"{label}: no {'Japanese' if key == 'name_ja' else 'English'} name ({key})"
        symbols = entry.get("symbols") or {}
        if not isinstance(symbols, dict):
            return f"{label}: symbols must be a table of source = symbol"
        unknown = [s for s in symbols if s not in SYMBOL_SOURCES]
        if unknown:
            return f"{label}: unknown source {unknown[0]!r} in symbols (choose {' or '.join(SYMBOL_SOURCES)})"
    pairs = raw.get("pair")
    if not isinstance(pairs, list) or not pairs:
        return "no [[pair]] entries"
    names: set[str] = set()
    for n, entry in enumerate(pairs, 1):
        if not isinstance(entry, dict):
            return f"[[pair]] #{n} is not a table"
        num, den = entry.get("numerator"), entry.get("denominator")
        label = f"pair {num}/{den}"
        for role, code in (("numerator", num), ("denominator", den)):
            if code not in seen:
                return f"{label}: {role} {code!r} is not an index in the file"
        if num == den:
            return f"{label}: numerator and denominator are the same index"
        if label in names:
            return f"{label}: duplicate pair"
        names.add(label)
    comment = raw.get("comment_pair")
    if f"pair {comment}" not in names:
        return f"comment_pair {comment!r} is not a [[pair]] in the file"
    large = raw.get("large_caps")
    if not isinstance(large, list) or not large:
        return "large_caps: name at least one index"
    for code in large:
        if code not in seen:
            return f"large_caps: {code!r} is not an index in the file"
    return None


def _first_error(exc: ValidationError, raw: dict) -> str:
    error = exc.errors(include_url=False)[0]
    loc = list(error.get("loc") or ())
    entry = " ".join(str(p) for p in loc)
    if len(loc) >= 2 and loc[0] in ("index", "pair") and isinstance(loc[1], int):
        item = raw[loc[0]][loc[1]]
        name = item.get("code") if loc[0] == "index" else f"{item.get('numerator')}/{item.get('denominator')}"
        entry = " ".join([f"{loc[0]} {name}", *(str(p) for p in loc[2:])])
    return f"{entry}: {error['msg']}"


@lru_cache(maxsize=8)
def _cached(path: str, mtime_ns: int, size: int) -> Universe:
    return load(Path(path))


def read(path: Path | None = None) -> Universe:
    """The universe of `path`, or the shipped default; read once per file version."""
    if path is None:
        with as_file(DEFAULT_FILE) as default:
            return _read(Path(default))
    return _read(Path(path))


def _read(path: Path) -> Universe:
    try:
        stat = path.stat()
    except OSError:
        return load(path)  # names the file and why it cannot be read
    return _cached(str(path), stat.st_mtime_ns, stat.st_size)


def current() -> Universe:
    """The universe the settings select (SMALLCAP_UNIVERSE, default the shipped one)."""
    from smallcap.settings import Settings

    return read(Settings().universe)
