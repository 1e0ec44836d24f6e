"""A throwaway PostgreSQL cluster in a temporary folder, from the machine's own binaries (Debian's
`postgresql` package: /usr/lib/postgresql/<version>/bin), on a free port of 127.0.0.1.

initdb and pg_ctl refuse to run as root, so as root they run as the `postgres` user (or `nobody`),
in a folder that user owns.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

MISSING = "PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bin_dir() -> Path | None:
    """The newest installed PostgreSQL's bin folder with initdb and pg_ctl, or None."""
    found = [
        p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").is_file() and (p / "pg_ctl").is_file()
    ]
    if found:
        return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


def _as_user() -> tuple[list[str], pwd.struct_passwd | None]:
    """A prefix that runs a command as a non-root user when this process is root."""
    if os.getuid() != 0:
        return [], None
    for name in ("postgres", "nobody"):
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        return ["runuser", "-u", name, "--"], user
    raise RuntimeError("running as root and no postgres or nobody user to run initdb as")


@dataclass(frozen=True)
class Postgres:
    url: str  # as the database's owner, for asyncpg: what PREFECT_API_DATABASE_CONNECTION_URL takes
    port: int
    bin_dir: Path

    def sql(self, query: str) -> str:
        """One query through psql as the superuser; its rows unaligned, one a line."""
        args = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", self.url.rsplit("/", 1)[1]]
        out = subprocess.run(
            [str(self.bin_dir / "psql"), *args, "-XAtc", query], check=True, capture_output=True, text=True, timeout=60
        )
        return out.stdout.strip()


@contextmanager
def temporary_postgres(database: str, owner: str) -> Iterator[Postgres]:
    """A running cluster with `database` owned by the role `owner`. Stopped and removed after."""
    binaries = bin_dir()
    if binaries is None:
        raise FileNotFoundError(MISSING)
    prefix, user = _as_user()
    # Short path under /tmp: the unix socket lives here too (socket paths are limited to ~107 bytes).
    root = Path(tempfile.mkdtemp(prefix="smallcap-pg-"))
    if user is not None:
        os.chown(root, user.pw_uid, user.pw_gid)
    data, port, log = root / "data", free_port(), root / "server.log"

    def run(*args: str) -> None:
        try:
            subprocess.run([*prefix, *args], check=True, capture_output=True, text=True, timeout=120)
        except subprocess.CalledProcessError as exc:
            server_log = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"{' '.join(exc.cmd)} failed: {exc.stderr}{exc.stdout}{server_log}") from exc

    started = False
    try:
        run(str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        started = True  # from here on, stop it whatever happens
        run(str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start")
        # As the README sets it up: a role that is not a superuser, owning its database.
        server = ("-h", "127.0.0.1", "-p", str(port), "-U", "postgres")
        run(str(binaries / "createuser"), *server, owner)
        run(str(binaries / "createdb"), *server, "--owner", owner, database)
        yield Postgres(f"postgresql+asyncpg://{owner}@127.0.0.1:{port}/{database}", port, binaries)
    finally:
        if started:
            subprocess.run(
                [*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(root, ignore_errors=True)
