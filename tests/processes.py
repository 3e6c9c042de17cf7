"""Finding the processes a test started, whatever became of their parent.

A test marks what it starts with an environment entry of its own
(:func:`new_marker`, passed on in :func:`marked_env`); every process below
inherits it, so whatever outlives a kill, a cancel or a crash is found in
/proc by that entry (Linux only: the tests that use it skip elsewhere).
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

MARK = "VARIORUM_TEST_MARK"
GONE_WITHIN = 20.0  # s for a stopped run's processes to be gone (a bound for a hang)


def new_marker() -> bytes:
    """A fresh environment entry, ``MARK=<random>``, as bytes."""
    return f"{MARK}={uuid.uuid4().hex}".encode()


def marked_env(marker: bytes, env: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) with ``marker``'s entry set."""
    key, _, value = marker.decode().partition("=")
    return {**(os.environ if env is None else env), key: value}


def ours(marker: bytes) -> dict[int, str]:
    """pid -> command line of every live process carrying ``marker`` in its
    environment (a zombie has none: it is gone but for its exit status)."""
    found = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            env = Path(f"/proc/{name}/environ").read_bytes().split(b"\0")
            if marker in env:
                cmd = Path(f"/proc/{name}/cmdline").read_bytes().replace(b"\0", b" ")
                found[int(name)] = cmd.decode(errors="replace")[:160]
        except OSError:
            continue
    return found


def left_behind(marker: bytes) -> dict[int, str]:
    """The marked processes still alive after a bounded wait (then ended, by
    pid, so that one failed trial does not leave them to the next)."""
    deadline = time.monotonic() + GONE_WITHIN
    while (alive := ours(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)  # a poll for their exit (a bound for a hang, not a measurement)
    for pid in alive:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return alive
