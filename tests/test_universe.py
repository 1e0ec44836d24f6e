"""The universe file: the shipped default is today's three indices and one ratio; a bad file is refused
in one line naming the file and the entry, whether read directly, through the settings or by the CLI."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from smallcap.errors import SettingsError
from smallcap.report import phrasing
from smallcap.settings import Settings
from smallcap.universe import UniverseError, load, read
from tests.helpers import default_universe_text


def test_the_default_universe_is_the_products_three_indices_and_one_ratio() -> None:
    u = read()
    assert u.codes == ("R2000G", "SPX", "DJIA")
    assert [(i.name_en, i.name_ja) for i in u.indices] == [
        ("Russell 2000 Growth", "ラッセル2000グロース"),
        ("S&P 500", "SP500"),
        ("Dow Jones Industrial Average", "NYダウ"),
    ]
    assert u.symbols("yahoo") == {"R2000G": "^RUO", "SPX": "^GSPC", "DJIA": "^DJI"}
    assert u.symbols("fred") == {"SPX": "SP500", "DJIA": "DJIA"}
    assert [(p.name, p.window_weeks, p.deviation_basis, p.deviation_form) for p in u.pairs] == [
        ("R2000G/SPX", 26, None, None)
    ]
    assert (u.comment_pair, u.large_caps, u.others) == ("R2000G/SPX", ("DJIA", "SPX"), ())
    assert Settings().universe is None and read(Settings().universe) == u


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "universe.toml"
    path.write_text(text, encoding="utf-8")
    return path


DEFAULT = default_universe_text()
BAD = {
    "unknown source": (
        DEFAULT.replace('symbols = { yahoo = "^RUO" }', 'symbols = { yahoo = "^RUO", bloomberg = "RU20GRTR" }'),
        "index R2000G: unknown source 'bloomberg' in symbols (choose yahoo or fred)",
    ),
    "duplicate code": (
        DEFAULT.replace('code = "DJIA"', 'code = "SPX"'),
        "index SPX: duplicate code 'SPX'",
    ),
    "pair naming a missing index": (
        DEFAULT.replace('denominator = "SPX"', 'denominator = "R1000G"'),
        "pair R2000G/R1000G: denominator 'R1000G' is not an index in the file",
    ),
    "no Japanese name": (
        DEFAULT.replace('name_ja = "NYダウ"\n', ""),
        "index DJIA: no Japanese name (name_ja)",
    ),
    "comment pair not a pair": (
        DEFAULT.replace('comment_pair = "R2000G/SPX"', 'comment_pair = "R2000G/DJIA"'),
        "comment_pair 'R2000G/DJIA' is not a [[pair]] in the file",
    ),
    "large cap not an index": (
        DEFAULT.replace('large_caps = ["DJIA", "SPX"]', 'large_caps = ["DJIA", "NDX"]'),
        "large_caps: 'NDX' is not an index in the file",
    ),
    "bad window": (
        DEFAULT.replace("window_weeks = 26", "window_weeks = 0"),
        "pair R2000G/SPX window_weeks: Input should be greater than or equal to 1",
    ),
    "not TOML": ("comment_pair = ", "not valid TOML"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_universe_file_is_refused_in_one_line_naming_the_file_and_the_entry(tmp_path: Path, case: str) -> None:
    text, entry = BAD[case]
    path = _file(tmp_path, text)
    with pytest.raises(UniverseError) as direct:
        load(path)
    message = str(direct.value)
    assert message.startswith(f"universe file {path}: ") and entry in message and "\n" not in message
    with pytest.raises(SettingsError) as through_settings:  # as a run starts: SMALLCAP_UNIVERSE
        Settings(universe=path)
    assert str(through_settings.value) == message


def test_a_missing_universe_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"^universe file .*nope\.toml: cannot be read"):
        Settings(universe=tmp_path / "nope.toml")


def test_the_cli_refuses_a_bad_universe_before_any_run(tmp_path: Path) -> None:
    path = _file(tmp_path, BAD["pair naming a missing index"][0])
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SMALLCAP_UNIVERSE": str(path)}
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "run", "--data-dir", str(tmp_path / "d")],
        cwd=Path(__file__).parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2, out.stderr
    assert out.stderr.splitlines() == [
        f"error: universe file {path}: pair R2000G/R1000G: denominator 'R1000G' is not an index in the file"
    ]
    assert not (tmp_path / "d").exists()


def test_a_universe_file_is_read_again_when_it_changes(tmp_path: Path) -> None:
    path = _file(tmp_path, DEFAULT)
    assert read(path).index("DJIA").start is None
    path.write_text(DEFAULT.replace('code = "DJIA"', 'code = "DJIA"\nstart = 2024-11-20'), encoding="utf-8")
    u = read(path)
    assert u.index("DJIA").start == date(2024, 11, 20)
    assert u.started_by(date(2024, 11, 19)) == ("R2000G", "SPX") and u.started_by(date(2024, 11, 20)) == u.codes


def test_the_comparison_sentence_follows_the_large_caps_in_the_files_order() -> None:
    # Two large caps read exactly as before; three name each, in the file's order.
    assert phrasing.compare_ja(0.02, [("NYダウ", 0.01), ("SP500", -0.01)]) == phrasing.comparison(0.02, 0.01, -0.01)
    assert phrasing.compare_en(0.0, [("the Dow", 0.01), ("the S&P 500", 0.0)]) == phrasing.comparison_en(0.0, 0.01, 0.0)
    three = [("NYダウ", 0.01), ("SP500", 0.012), ("ナスダック総合", 0.009)]
    assert phrasing.compare_ja(0.03, three) == (
        "NYダウ(前週末比+1.00%)、SP500(前週末比+1.20%)およびナスダック総合(前週末比+0.90%)を上回る動き"
    )
    mixed = [("the Dow", 0.01), ("the S&P 500", -0.02), ("the Nasdaq Composite", 0.0)]
    assert phrasing.compare_en(0.0, mixed) == (
        "behind the Dow (week on week +1.00%), ahead of the S&P 500 (week on week -2.00%) and in line with "
        "the Nasdaq Composite (week on week 0.00%), the major indices"
    )
