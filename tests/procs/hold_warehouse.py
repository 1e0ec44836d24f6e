"""A separate analyst process: holds the warehouse open and answers on request.

Usage: hold_warehouse.py PATH ro|rw. Prints the number of weekly_close rows on start, then on
each line read from stdin: "same" queries the held connection again, "reconnect" reopens first.
"""

import sys

import duckdb

path, mode = sys.argv[1], sys.argv[2]
QUERY = "select count(*), max(week_ending) from marts.weekly_close"


def connect() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(path, read_only=(mode == "ro"))


con = connect()
print(con.sql(QUERY).fetchall()[0], flush=True)
for line in sys.stdin:
    if line.strip() == "reconnect":
        con.close()
        con = connect()
    print(con.sql(QUERY).fetchall()[0], flush=True)
