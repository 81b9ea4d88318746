"""Start-up figures: `writeit --version`, and process start to the first painted home screen.

Both run the installed `writeit` console script as a fresh subprocess, as a user would.
First frame: `writeit` runs under a pseudo-terminal (160x50, TERM=xterm-256color) with an empty
$WRITEIT_HOME, no API keys, and `WRITEIT_BENCH_FIRST_FRAME=<file>`; the app writes the wall-clock
time of its first paint to that file (the hook lives in the TUI). The figure is that time minus
the time just before the process was spawned. If the app has no hook, the time the home screen's
marker text first appears on the terminal (after the switch to the alternate screen) is used
instead; the details say which method gave the figure.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path
from typing import Any

from bench.common import as_installed, log, median, rnd

MODE_SETTINGS = {
    "tiny": {"version_reps": 2, "frame_reps": 0},  # one cold launch, no warm-up
    "quick": {"version_reps": 7, "frame_reps": 3},
    "full": {"version_reps": 21, "frame_reps": 11},
}
FIRST_FRAME_ENV = "WRITEIT_BENCH_FIRST_FRAME"
# Visible text of the home screen's first frame (fallback when there is no hook): the empty
# state, a column header of the runs table, or the footer's first key.
HOME_MARKERS = (b"No runs yet", b"Pipeline", b"Recent runs", b"New run")
ALT_SCREEN = b"\x1b[?1049h"  # a full-screen app switches to the alternate screen first
FRAME_TIMEOUT_S = 20.0


def writeit_command() -> list[str]:
    """The installed console script next to this interpreter, else `python -m writeit`."""
    script = Path(sys.executable).with_name("writeit")
    if script.exists():
        return [str(script)]
    found = shutil.which("writeit")
    return [found] if found else [sys.executable, "-m", "writeit"]


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in as_installed(dict(os.environ)).items() if not k.endswith("_API_KEY")}
    env.pop("OPENAI_BASE_URL", None)
    env.pop("ANTHROPIC_BASE_URL", None)
    env.update(WRITEIT_HOME=str(home), TERM="xterm-256color", COLUMNS="160", LINES="50")
    return env


def version_ms(reps: int) -> list[float]:
    cmd = [*writeit_command(), "--version"]
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        env = clean_env(Path(tmp))
        for _ in range(reps + 1):
            start = time.perf_counter()
            subprocess.run(cmd, env=env, check=True, capture_output=True)
            times.append((time.perf_counter() - start) * 1000)
    return times[1:]  # the first run warms the OS page cache (.pyc files)


def _first_frame_once(home: Path) -> tuple[float | None, str, str]:
    """(ms from spawn to first paint, method, reason if none) for one cold `writeit`."""
    stamp = home / "first-frame.txt"
    stamp.unlink(missing_ok=True)
    env = clean_env(home) | {FIRST_FRAME_ENV: str(stamp)}
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
    wall0, t0 = time.time(), time.perf_counter()
    proc = subprocess.Popen(
        writeit_command(),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    seen = b""
    marker_at: float | None = None
    try:
        deadline = t0 + FRAME_TIMEOUT_S
        while time.perf_counter() < deadline:
            if stamp.exists() and stamp.read_text().strip():
                break
            if proc.poll() is not None:
                break
            ready, _, _ = select.select([master], [], [], 0.005)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                seen += chunk
                screen = seen[seen.find(ALT_SCREEN) :] if ALT_SCREEN in seen else b""
                if marker_at is None and any(m in screen for m in HOME_MARKERS):
                    marker_at = time.perf_counter()
                    # keep going briefly: the hook, if present, is the better measure
                    deadline = min(deadline, marker_at + 1.0)
        if stamp.exists() and stamp.read_text().strip():
            return (float(stamp.read_text().split()[0]) - wall0) * 1000, "hook", ""
        if marker_at is not None:
            return (marker_at - t0) * 1000, "terminal marker", ""
        tail = seen[-300:].decode("utf-8", "replace")
        return None, "", f"no first frame within {FRAME_TIMEOUT_S:.0f}s; output tail: {tail!r}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(master)


def first_frame(reps: int) -> dict[str, Any]:
    times: list[float] = []
    methods: set[str] = set()
    reason = ""
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(reps + 1 if reps else 1):
            home = Path(tmp) / f"home{i}"
            home.mkdir()
            ms, method, why = _first_frame_once(home)
            if ms is None:
                reason = why
                break
            if i or not reps:  # the first launch warms the OS page cache
                times.append(ms)
                methods.add(method)
    return {"times": times, "methods": sorted(methods), "reason": reason}


def run(mode: str) -> dict[str, Any]:
    s = MODE_SETTINGS[mode]
    log(f"startup: writeit --version x {s['version_reps']}")
    versions = version_ms(s["version_reps"])
    log(f"startup: first frame x {s['frame_reps']}")
    frame = first_frame(s["frame_reps"])
    out: dict[str, Any] = {
        "startup.version_ms": rnd(median(versions), 1),
        "startup.first_frame_ms": rnd(median(frame["times"]), 1) if frame["times"] else None,
        "details": {
            "version_ms_all": [rnd(x, 1) for x in versions],
            "first_frame_ms_all": [rnd(x, 1) for x in frame["times"]],
            "first_frame_method": frame["methods"],
            "command": writeit_command(),
        },
    }
    if not frame["times"]:
        out["reasons"] = {"startup.first_frame_ms": frame["reason"]}
    return out
