"""CPU of the real `writeit` streaming into a real pseudo-terminal (where users live).

Method (bench/README.md has the long form):
- bench/sse_server.py serves the Markdown article of bench/texts.py as OpenAI-style SSE from its
  own process, each stream paced at a fixed rate against a schedule.
- The real `writeit new` runs in a pseudo-terminal (200x50) with OPENAI_BASE_URL pointing at it,
  on a one-step pipeline fanned out to N models, so the whole path counts: the SDK over HTTP, the
  engine and its LMDB writes, rendering, escape-sequence generation and the driver's writer
  thread. A thread drains the terminal as a terminal would and counts the bytes.
- Once the panes stream, after a warm-up, the process's CPU (every thread, from /proc) is sampled
  over a window: CPU seconds / wall seconds, as a percentage of one core.
- The same is done, in the same run, for two baselines drawing the same streams through the same
  SDK (bench/pty_app.py): `Markdown.update(full_text)` per token, and Textual's `MarkdownStream`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import log, rnd

ROOT = Path(__file__).resolve().parent.parent
SIZE = (200, 50)
LOADS = {"4x150": (4, 150.0), "2x60": (2, 60.0)}
MARKER = b"streaming"  # a pane header (or the baselines' title) says so once streams run
FORM = b"Start run"  # `writeit new` opens the new-run form filled in; ctrl+s starts it
START_TIMEOUT_S = 30.0
MODE_SETTINGS: dict[str, dict[str, float]] = {
    "tiny": {"warm_s": 0.5, "window_s": 1.0},
    "quick": {"warm_s": 2.0, "window_s": 8.0},
    "full": {"warm_s": 3.0, "window_s": 20.0},
}
TARGETS = (  # what runs in the terminal, and the prefix of its figures
    ("writeit", "render."),
    ("naive", "render.naive_"),
    ("textual_stream", "render.textual_stream_"),
)
PIPELINE = """\
name: pty-bench
description: A draft fanned out to every model (benchmark)
inputs:
  - {name: topic, type: text, required: true, help: What to write about}
steps:
  - name: draft
    description: The whole article
    max_tokens: 32000
    prompt: "Write an article about {{ inputs.topic }}."
  - name: polish
    description: Never reached (the trial ends while the draft streams)
    prompt: "Polish this: {{ steps.draft.selected }}"
"""


class Terminal:
    """A process on a pseudo-terminal whose output is drained (and counted) on a thread."""

    def __init__(self, cmd: list[str], env: dict[str, str]) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
        self.proc = subprocess.Popen(
            cmd, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self.master = master
        self.written = 0
        self._seen = b""
        self._output = threading.Condition()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: the process closed the terminal
                return
            if not data:
                return
            with self._output:
                self.written += len(data)
                self._seen = (self._seen + data)[-4096:]
                self._output.notify_all()

    def wait_for(self, text: bytes) -> bool:
        """Whether `text` showed in the output within the start-up timeout."""
        with self._output:
            return self._output.wait_for(lambda: text in self._seen, START_TIMEOUT_S)

    def press(self, key: bytes) -> None:
        os.write(self.master, key)

    def screen_words(self) -> str:
        """The printable words of the last output, for saying why a trial failed."""
        text = re.sub(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[^\[]", b" ", self._seen)
        return " ".join(text.decode("utf-8", "replace").split())[-300:]

    def cpu_s(self) -> float:
        """User + system CPU of every thread of the process so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._reader.join(5)
        os.close(self.master)


class Server:
    """bench/sse_server.py in its own process, streaming `tokens` per response at `rate`."""

    def __init__(self, tokens: int, rate: float) -> None:
        script = str(ROOT / "bench" / "sse_server.py")
        self.proc = subprocess.Popen(
            [sys.executable, script, str(tokens), str(1 / rate), "markdown"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline().split()[0])

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.kill()
        self.proc.wait(10)


def commands(target: str, port: int, home: Path, models: list[str]) -> list[str]:
    if target != "writeit":
        return [sys.executable, str(ROOT / "bench" / "pty_app.py"), target, str(port), *models]
    pipeline = home / "pty-bench.yaml"
    pipeline.write_text(PIPELINE)
    spec = ",".join(f"openai:{m}" for m in models)
    return [sys.executable, "-m", "writeit", "new", str(pipeline), "-i", "topic=x", "-m", spec]


def measure(target: str, load: str, settings: dict[str, float]) -> dict[str, Any]:
    """One trial: `target` streaming `load`; CPU % of a core and terminal bytes per second."""
    panes, rate = LOADS[load]
    warm, window = settings["warm_s"], settings["window_s"]
    server = Server(int(rate * (START_TIMEOUT_S + warm + window + 5)), rate)
    home = Path(tempfile.mkdtemp(prefix="writeit-pty-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ANTHROPIC_"))} | {
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "WRITEIT_HOME": str(home),
        "OPENAI_API_KEY": "bench",
        "OPENAI_BASE_URL": f"http://127.0.0.1:{server.port}/v1",
        "PYTHONPATH": str(ROOT),
    }
    models = [f"bench-{i + 1}" for i in range(panes)]
    term = Terminal(commands(target, server.port, home, models), env)
    try:
        if target == "writeit" and term.wait_for(FORM):
            term.press(b"\x13")
        if not term.wait_for(MARKER):
            shown = term.screen_words()
            return {"error": f"no stream on screen within {START_TIMEOUT_S:.0f}s: {shown!r}"}
        time.sleep(warm)  # past the step's start-up: the figure is about steady streaming
        cpu0, bytes0, t0 = term.cpu_s(), term.written, time.perf_counter()
        time.sleep(window)
        cpu1, bytes1, t1 = term.cpu_s(), term.written, time.perf_counter()
        if term.proc.poll() is not None:
            return {"error": f"the process exited ({term.proc.returncode}) while measured"}
        wall = t1 - t0
        return {
            "cpu_percent": rnd(100 * (cpu1 - cpu0) / wall, 1),
            "bytes_per_s": round((bytes1 - bytes0) / wall),
            "window_s": rnd(wall, 2),
        }
    finally:
        term.close()
        server.close()
        shutil.rmtree(home, ignore_errors=True)


def run(mode: str) -> dict[str, Any]:
    settings = MODE_SETTINGS[mode]
    out: dict[str, Any] = {}
    reasons: dict[str, str] = {}
    details: dict[str, Any] = {"terminal_size": list(SIZE), **settings}
    if not Path("/proc/self/stat").exists():
        reason = "process CPU is read from /proc, which this system does not have"
        names = [f"render.cpu_percent_{load}_pty" for load in LOADS]
        return {**dict.fromkeys(names), "reasons": dict.fromkeys(names, reason)}
    for load in LOADS:
        targets = TARGETS[:1] if mode == "tiny" else TARGETS  # tiny: a smoke test, seconds
        for target, prefix in targets:
            log(f"pty: {target} at {load} tok/s")
            trial = measure(target, load, settings)
            details[f"{target}_{load}"] = trial
            name = f"{prefix}cpu_percent_{load}_pty"
            if "error" in trial:
                out[name] = None
                reasons[name] = trial["error"]
            else:
                out[name] = trial["cpu_percent"]
                out[f"{prefix}terminal_bytes_per_s_{load}_pty"] = trial["bytes_per_s"]
    return {**out, "reasons": reasons, "details": details}
