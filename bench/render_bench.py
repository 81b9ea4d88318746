"""Render figures: how fast the real run screen shows 4 streaming panes, and keypress latency.

Method (bench/README.md has the long form):
- Tokens come from an in-process provider registered as `bench` that streams Markdown-shaped
  text (headings, paragraphs, lists, code) in ~4-character tokens at a controlled rate, through
  the real engine path: `Engine.run_step` -> FanOut -> `on_delta` listeners, LMDB flushes.
- A token's *received* time is when it was due (when a network stream would have delivered it),
  so a busy event loop cannot hide its own lateness by reading tokens late.
- A token's *displayed* time is the first frame painted (the compositor update, plus turning it
  into terminal output as a real terminal would) at which its pane shows that many characters.
  Frames are observed by wrapping `App._display`; panes report `displayed_chars`.
- Sustained rate: the highest aggregate rate (4 equal streams) at which p95 lag stays <= 100 ms
  and every token is displayed by the end; found by doubling then bisecting.
"""

from __future__ import annotations

import asyncio
import gc
import re
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import log, percentile, rnd

LAG_LIMIT_MS = 100.0
TARGET_RATE = 2000.0
SIZE = (200, 50)
MODELS = ("p1", "p2", "p3", "p4")
MODE_SETTINGS: dict[str, dict[str, Any]] = {
    "tiny": {"trial_s": 0.6, "search_steps": 0, "keypresses": 3, "reps": 1},
    "quick": {"trial_s": 3.0, "search_steps": 3, "keypresses": 30, "reps": 1},
    "full": {"trial_s": 8.0, "search_steps": 5, "keypresses": 90, "reps": 3},
}

# -- the token source ------------------------------------------------------------------------

PARAGRAPH = (
    "Streaming several models side by side changes how a writer works. Each pane fills at its "
    "own pace, and the eye moves between them, comparing openings, structure and tone. "
    "The renderer must keep up without making the keyboard wait, even when the models are fast "
    "and the responses long. A `frame timer` batches what arrived since the last paint. "
)
LIST = "- **Latency** stays low while text streams\n- Panes scroll to follow the newest line\n"
CODE = '```python\ndef flush(self) -> None:\n    text = "".join(self.pending)\n```\n'


def markdown_tokens(n: int, seed: int) -> list[str]:
    """`n` tokens of ~4 characters making a Markdown article (sections, lists, code)."""
    parts: list[str] = []
    section = seed
    while sum(len(p) for p in parts) < n * 5:
        section += 1
        parts.append(f"## Section {section}: what the panes show\n\n")
        parts.append(PARAGRAPH * (1 + section % 3) + "\n\n")
        parts.append(LIST + "\n" if section % 2 else CODE + "\n")
    text = "".join(parts)
    return re.findall(r"\s*[^\s]{1,4}|\s+", text)[:n]


@dataclass
class Stream:
    """What one stream sent: the due time and cumulative characters of every token."""

    due: list[float] = field(default_factory=list)
    cum: list[int] = field(default_factory=list)


class PacedProvider:
    """Streams `tokens` per stream at `rate` tokens/s each, due times fixed from `start`.

    When the event loop wakes it late, every token already due is yielded at once (as a
    network stream would deliver its buffered chunks), each keeping its own due time.
    """

    name = "bench"

    def __init__(self, rate: float, tokens: int) -> None:
        self.rate = rate
        self.tokens = tokens
        self.streams: dict[str, Stream] = {}
        self.started = asyncio.Event()

    async def stream(self, request: Any) -> AsyncIterator[Any]:
        from writeit.domain.requests import TextDelta, UsageReport

        parts = markdown_tokens(self.tokens, seed=MODELS.index(request.model) * 7)
        record = self.streams.setdefault(request.model, Stream())
        start = time.perf_counter() + 0.05
        self.started.set()
        interval = 1.0 / self.rate
        i, cum = 0, 0
        while i < len(parts):
            due = start + i * interval
            now = time.perf_counter()
            if due > now:
                await asyncio.sleep(due - now)
                now = time.perf_counter()
            while i < len(parts) and start + i * interval <= now:
                cum += len(parts[i])
                record.due.append(start + i * interval)
                record.cum.append(cum)
                yield TextDelta(parts[i])
                i += 1
        yield UsageReport(input_tokens=100, output_tokens=len(parts))


# -- frames ----------------------------------------------------------------------------------


@dataclass
class Frames:
    """Every painted frame: when, and how many characters each pane showed."""

    at: list[float] = field(default_factory=list)
    shown: list[tuple[int, ...]] = field(default_factory=list)
    probes: list[Callable[[float], None]] = field(default_factory=list)


def watch_frames(app: Any, panes: Callable[[], list[Any]]) -> Frames:
    """Wrap `app._display` so every frame is timestamped (and rendered to terminal output).

    Headless Textual builds each frame's compositor update but skips turning it into escape
    sequences; the wrapper does that work too, so frames cost what they cost in a terminal.
    """
    from textual._compositor import CompositorUpdate

    frames = Frames()
    original = app._display
    cache: list[list[Any]] = []

    def display(screen: Any, renderable: Any) -> None:
        original(screen, renderable)
        if renderable is None:
            return
        if isinstance(renderable, CompositorUpdate) and app.is_headless:
            renderable.render_segments(app.console)
        now = time.perf_counter()
        if not cache:
            found = panes()
            if not found:
                return
            cache.append(found)
        frames.at.append(now)
        frames.shown.append(tuple(p.displayed_chars for p in cache[0]))
        for probe in list(frames.probes):
            probe(now)

    app._display = display
    return frames


def lags_ms(streams: list[Stream], frames: Frames, end: float) -> list[float]:
    """Per token: first frame showing it minus its due time (end of trial if never shown)."""
    out: list[float] = []
    for p, stream in enumerate(streams):
        f = 0
        best = 0
        for due, cum in zip(stream.due, stream.cum, strict=True):
            while f < len(frames.at) and (
                max(best, frames.shown[f][p]) < cum or frames.at[f] < due
            ):
                best = max(best, frames.shown[f][p])
                f += 1
            shown_at = frames.at[f] if f < len(frames.at) else end
            out.append((shown_at - due) * 1000)
    return out


# -- targets: the real run screen and the naive baseline -------------------------------------


@dataclass
class Session:
    """A running app with its engine, the step streaming in the background."""

    app: Any
    pilot: Any
    engine: Any
    frames: Frames
    done: Awaitable[Any]
    panes: list[Any]


def make_engine(home: Path, provider: PacedProvider) -> Any:
    """A real engine whose `bench` provider is the paced source."""
    from writeit.domain.config import ProviderConfig, UserConfig
    from writeit.engine.engine import Engine

    config = UserConfig(
        providers={"bench": ProviderConfig(kind="openai", base_url="http://127.0.0.1:9")}
    )
    engine = Engine(home, config=config, environ={})
    engine.registry._providers["bench"] = provider  # the registry's cache: no public hook
    return engine


def bench_models() -> list[str]:
    return [",".join(f"bench:{m}" for m in MODELS)]


class NaiveTarget:
    name = "naive"

    def make_app(self, engine: Any) -> Any:
        from bench.baselines.naive_markdown import NaiveApp

        app = NaiveApp(list(MODELS))
        engine.on_delta.append(app.on_delta)

        def on_event(event: Any) -> None:
            if getattr(event, "type", "") == "step_started":
                app.route({r.response_id: r.model for r in event.responses})

        engine.on_event.append(on_event)
        return app

    async def start(self, app: Any, pilot: Any, engine: Any) -> tuple[Awaitable[Any], list[Any]]:
        run = engine.start_run("tech-article", {"topic": "rendering"}, models=bench_models())
        task = asyncio.ensure_future(engine.run_step(run.run_id))
        return task, app.panes


class RealTarget:
    """The real WriteIt app on its run screen (filled in when writeit/tui lands)."""

    name = "real"

    def make_app(self, engine: Any) -> Any:
        raise NotImplementedError("the run screen (writeit/tui) does not exist yet")

    async def start(self, app: Any, pilot: Any, engine: Any) -> tuple[Awaitable[Any], list[Any]]:
        raise NotImplementedError


TARGETS: dict[str, Any] = {"naive": NaiveTarget(), "real": RealTarget()}


@dataclass
class Trial:
    rate: float
    lag_p50_ms: float
    lag_p95_ms: float
    lag_max_ms: float
    complete: bool
    cpu_percent: float
    frames: int
    keypress_ms: list[float] = field(default_factory=list)

    @property
    def sustained(self) -> bool:
        return self.complete and self.lag_p95_ms <= LAG_LIMIT_MS

    def summary(self) -> dict[str, Any]:
        return {
            "rate": round(self.rate),
            "lag_p50_ms": rnd(self.lag_p50_ms, 1),
            "lag_p95_ms": rnd(self.lag_p95_ms, 1),
            "lag_max_ms": rnd(self.lag_max_ms, 1),
            "complete": self.complete,
            "cpu_percent": rnd(self.cpu_percent, 1),
            "fps": rnd(self.frames / max(1e-9, self._duration), 1),
        }

    _duration: float = 1.0


KeyDriver = Callable[[Session], Awaitable[list[float]]]


async def trial(target: Any, rate: float, seconds: float, keys: KeyDriver | None = None) -> Trial:
    """Stream 4 panes at `rate` tokens/s in total for about `seconds`; measure every token."""
    per_stream = rate / len(MODELS)
    provider = PacedProvider(per_stream, max(20, int(per_stream * seconds)))
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(Path(tmp) / "home", provider)
        app = target.make_app(engine)
        try:
            async with app.run_test(size=SIZE) as pilot:
                done, panes = await target.start(app, pilot, engine)
                frames = watch_frames(app, lambda: panes)
                gc.collect()
                cpu0, wall0 = time.process_time(), time.perf_counter()
                session = Session(app, pilot, engine, frames, done, panes)
                presses = await keys(session) if keys is not None else []
                await done
                end = time.perf_counter()
                deadline = end + 2.0  # let the screen catch up: shown late still counts
                streams = [provider.streams.get(m, Stream()) for m in MODELS]
                totals = [s.cum[-1] if s.cum else 0 for s in streams]
                while time.perf_counter() < deadline and not _all_shown(frames, totals):
                    await asyncio.sleep(0.02)
                end = time.perf_counter()
                cpu = (time.process_time() - cpu0) / max(1e-9, end - wall0) * 100
                await engine.registry.aclose()
        finally:
            engine.close()
    lags = lags_ms(streams, frames, end)
    result = Trial(
        rate=rate,
        lag_p50_ms=percentile(lags, 50),
        lag_p95_ms=percentile(lags, 95),
        lag_max_ms=max(lags),
        complete=_all_shown(frames, totals),
        cpu_percent=cpu,
        frames=len(frames.at),
        keypress_ms=presses,
    )
    result._duration = end - wall0
    return result


def _all_shown(frames: Frames, totals: list[int]) -> bool:
    if not frames.shown:
        return False
    last = frames.shown[-1]
    return all(shown >= total for shown, total in zip(last, totals, strict=True))


async def sustained_rate(target: Any, start: float, seconds: float, steps: int) -> dict[str, Any]:
    """Highest rate that passes: double from `start` until a failure, then bisect `steps` times."""
    trials: list[Trial] = []

    async def run(rate: float) -> bool:
        t = await trial(target, rate, seconds)
        trials.append(t)
        log(
            f"render[{target.name}]: {rate:.0f} tok/s -> p95 {t.lag_p95_ms:.0f} ms, {'ok' if t.sustained else 'behind'}"
        )
        return t.sustained

    low, high = 0.0, None
    rate = start
    while high is None:
        if await run(rate):
            low = rate
            rate *= 2
            if rate > 64_000:
                break
        else:
            high = rate
            if low == 0.0:
                rate /= 4
                if rate < 5:
                    break
                high = None
                low = 0.0
                start = rate
    for _ in range(steps):
        if high is None or low == 0.0:
            break
        mid = (low * high) ** 0.5
        if await run(mid):
            low = mid
        else:
            high = mid
    return {"rate": low, "trials": [t.summary() for t in trials]}


def run(mode: str) -> dict[str, Any]:
    return asyncio.run(_run(mode))


async def _run(mode: str) -> dict[str, Any]:
    s = MODE_SETTINGS[mode]
    names = (
        "render.tokens_per_s_sustained",
        "render.lag_p95_ms",
        "render.keypress_p95_ms",
        "render.speedup_vs_naive",
    )
    reasons: dict[str, str] = {}
    details: dict[str, Any] = {"trial_s": s["trial_s"], "terminal_size": list(SIZE)}
    log("render: naive baseline")
    naive = await sustained_rate(TARGETS["naive"], 50.0, s["trial_s"], s["search_steps"])
    details["naive"] = naive
    out: dict[str, Any] = dict.fromkeys(names)
    out["render.naive_tokens_per_s_sustained"] = round(naive["rate"])
    try:
        real = await sustained_rate(TARGETS["real"], 1000.0, s["trial_s"], s["search_steps"])
    except NotImplementedError as exc:
        for n in names:
            reasons[n] = str(exc)
        return {**out, "reasons": reasons, "details": details}
    details["real"] = real
    out["render.tokens_per_s_sustained"] = round(real["rate"])
    if naive["rate"]:
        out["render.speedup_vs_naive"] = rnd(real["rate"] / naive["rate"])
    return {**out, "reasons": reasons, "details": details}
