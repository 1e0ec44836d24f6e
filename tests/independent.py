"""Independent pandas calculations of the marts, to check the SQL against.

Written from the definitions, not from the SQL: a week is Monday–Sunday and closes on its last
row; the previous week is the previous calendar week; the average is a 26-week rolling mean.
"""

from __future__ import annotations

import pandas as pd


def weekly_close(daily: pd.DataFrame) -> pd.DataFrame:
    d = daily.sort_values("date").copy()
    d["week"] = d["date"].dt.to_period("W-SUN")
    last = d.groupby(["index_code", "week"], as_index=False).tail(1).sort_values(["index_code", "week"])
    out = []
    for code, g in last.groupby("index_code"):
        g = g.set_index("week")
        prev = g["close"].reindex(g.index - 1).to_numpy()  # the calendar week before, if any
        out.append(
            pd.DataFrame(
                {
                    "index_code": code,
                    "week_ending": g["date"].dt.date.to_numpy(),
                    "close": g["close"].to_numpy(),
                    "prev_close": prev,
                    "change": g["close"].to_numpy() - prev,
                    "return_1w": g["close"].to_numpy() / prev - 1,
                }
            )
        )
    return pd.concat(out, ignore_index=True).sort_values(["index_code", "week_ending"]).reset_index(drop=True)


def relative_strength(weekly: pd.DataFrame) -> pd.DataFrame:
    wide = weekly.pivot(index="week_ending", columns="index_code", values="close").dropna(subset=["R2000G", "SPX"])
    ratio = wide["R2000G"] / wide["SPX"]
    ma = ratio.rolling(26, min_periods=26).mean()
    return pd.DataFrame(
        {
            "week_ending": wide.index,
            "numerator_close": wide["R2000G"].to_numpy(),
            "denominator_close": wide["SPX"].to_numpy(),
            "ratio": ratio.to_numpy(),
            "ma_26w": ma.to_numpy(),
            "deviation_26w": (ratio / ma - 1).to_numpy(),
        }
    ).reset_index(drop=True)
