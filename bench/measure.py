"""Run a command in a fresh process and measure it: wall time and peak RSS of its process tree."""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

SAMPLE_EVERY_S = 0.05


@dataclass(frozen=True)
class Sample:
    wall_s: float
    peak_tree_rss_mb: float  # the largest sum of RSS over the process and its descendants (sampled)
    peak_rss_mb: float  # the largest single process in the tree (exact, from the kernel)
    stdout: str
    cpu_s: float = 0.0  # user + system CPU of the process and the descendants it waited for


class CommandFailed(RuntimeError):
    pass


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total


def run(
    cmd: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path | None = None, timeout: float = 300
) -> Sample:
    """Run `cmd`, wait for it, and measure it; raises CommandFailed with its last error line."""
    peak = 0
    done = threading.Event()
    start = time.perf_counter()
    popen = subprocess.Popen(
        list(cmd), env=dict(env) if env is not None else None, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    proc = psutil.Process(popen.pid)

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc))
            done.wait(SAMPLE_EVERY_S)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # Read the pipes in threads so a chatty child never blocks on a full pipe.
    outputs: dict[str, bytes] = {}
    readers = [
        threading.Thread(target=lambda name=name, pipe=pipe: outputs.__setitem__(name, pipe.read()), daemon=True)
        for name, pipe in (("stdout", popen.stdout), ("stderr", popen.stderr))
    ]
    for reader in readers:
        reader.start()
    try:
        # wait4 returns the child's own resource usage: its exact peak RSS (ru_maxrss, in KiB),
        # covering the descendants it waited for too.
        _, status, usage = _wait4(popen.pid, timeout)
    except TimeoutError:
        popen.kill()
        popen.wait()
        raise CommandFailed(f"{' '.join(cmd)} did not finish within {timeout:.0f} s") from None
    wall = time.perf_counter() - start
    popen.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    for reader in readers:
        reader.join()
    stdout = outputs.get("stdout", b"").decode(errors="replace")
    if popen.returncode != 0:
        lines = outputs.get("stderr", b"").decode(errors="replace").strip().splitlines() or ["(no output)"]
        raise CommandFailed(f"{' '.join(cmd)} exited {popen.returncode}: {lines[-1]}")
    return Sample(wall, peak / 2**20, usage.ru_maxrss / 1024, stdout, usage.ru_utime + usage.ru_stime)


def _wait4(pid: int, timeout: float) -> tuple[int, int, object]:
    deadline = time.monotonic() + timeout
    while True:
        got, status, usage = os.wait4(pid, os.WNOHANG)
        if got == pid:
            return got, status, usage
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.005)
