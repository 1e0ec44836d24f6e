"""Run `smallcap run ARGS…` and send this process SIGNAL as the run reaches STEP (a flows.steps function).

Usage: signalled_cli.py SIGNAL STEP ARGS…  (e.g. SIGINT gate run --data-dir D). The signal is sent from
within the step, as a user's Ctrl-C or a service manager's SIGTERM would arrive at that moment.
"""

import os
import signal
import sys

import flows.steps
from app.cli import app

name, step, *args = sys.argv[1:]
real = getattr(flows.steps, step)


def signalled(*a: object, **k: object) -> object:
    os.kill(os.getpid(), getattr(signal, name))
    return real(*a, **k)


setattr(flows.steps, step, signalled)
sys.argv = ["smallcap", *args]
app()
