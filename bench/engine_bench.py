"""Engine overhead: the full engine vs the raw OpenAI SDK loop over the same 4 streams.

Both sides stream 4 concurrent chat completions from the same stand-in server (a separate
process, see bench/sse_server.py). The raw side is the loop any client would write: create the
stream, iterate chunks, keep the text. The engine side is `Engine.run_step` on a real run with
four `openai:` models: StepStarted, TextDelta fan-out to a delta listener, flushes to LMDB every
250 ms, ResponseFinished, sync. Wall time and process CPU time are measured for both; the
figure is the larger of the two ratios (medians over alternating repetitions), with both shown.
"""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import CpuWall, log, median, rnd

MODE_SETTINGS = {
    "tiny": {"tokens": 100, "reps": 1},
    "quick": {"tokens": 1500, "reps": 4},
    "full": {"tokens": 3000, "reps": 11},
}
MODELS = ("bench-a", "bench-b", "bench-c", "bench-d")
PROMPT = "Write about benchmarks."


class Server:
    """The SSE server subprocess; closing its stdin stops it."""

    def __init__(self, tokens: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("sse_server.py")), str(tokens)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        port, self.kind = self.proc.stdout.readline().split(" ", 1)
        self.kind = self.kind.strip()
        self.base_url = f"http://127.0.0.1:{int(port)}/v1"

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


async def raw_sdk(client: Any, max_tokens: int) -> list[str]:
    """The baseline: the SDK's own streaming loop, four streams at once, text kept."""

    async def one(model: str) -> str:
        stream = await client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": PROMPT}],
            stream=True,
            stream_options={"include_usage": True},
            max_tokens=max_tokens,
            temperature=0.7,
        )
        parts: list[str] = []
        async for chunk in stream:
            if chunk.choices and chunk.choices[0].delta and chunk.choices[0].delta.content:
                parts.append(chunk.choices[0].delta.content)
        return "".join(parts)

    return list(await asyncio.gather(*(one(m) for m in MODELS)))


async def _measure(server: Server, tokens: int, reps: int) -> dict[str, Any]:
    import openai

    from writeit.engine import Engine, parse_model_specs

    client = openai.AsyncOpenAI(api_key="sk-bench", base_url=server.base_url, max_retries=0)
    environ = {"OPENAI_API_KEY": "sk-bench", "OPENAI_BASE_URL": server.base_url}
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine.open(Path(tmp) / "home", environ=environ)
        received = [0]

        def on_delta(run_id: str, response_id: str, text: str) -> None:
            received[0] += 1  # a UI listener's minimum: note that text arrived

        engine.subscribe(on_delta=on_delta)
        models = parse_model_specs([",".join(f"openai:{m}" for m in MODELS)])

        async def engine_step() -> CpuWall:
            run = engine.start_run("tech-article", {"topic": "benchmarks"}, models=models)
            gc.collect()
            with CpuWall() as cw:
                state = await engine.run_step(run.run_id)
            texts = [r.content for r in state.steps[state.current_step or ""].ordered_responses()]
            assert all(texts), "engine streams came back empty"
            return cw

        async def raw_step() -> CpuWall:
            gc.collect()
            with CpuWall() as cw:
                texts = await raw_sdk(client, tokens + 10)
            assert all(texts)
            return cw

        await raw_step()  # warm-up: SDK import, connection setup, pydantic schemas
        await engine_step()
        raw: list[CpuWall] = []
        eng: list[CpuWall] = []
        for _ in range(reps):
            raw.append(await raw_step())
            eng.append(await engine_step())
        await engine.aclose()
        engine.close()
    await client.close()
    rw, rc = median([x.wall for x in raw]), median([x.cpu for x in raw])
    ew, ec = median([x.wall for x in eng]), median([x.cpu for x in eng])
    return {
        "engine.overhead_ratio": rnd(max(ew / rw, ec / rc), 3),
        "engine.overhead_ratio_wall": rnd(ew / rw, 3),
        "engine.overhead_ratio_cpu": rnd(ec / rc, 3),
        "engine.raw_sdk_wall_ms": rnd(rw * 1000, 1),
        "engine.raw_sdk_cpu_ms": rnd(rc * 1000, 1),
        "engine.engine_wall_ms": rnd(ew * 1000, 1),
        "engine.engine_cpu_ms": rnd(ec * 1000, 1),
        "details": {
            "engine_streams": len(MODELS),
            "engine_tokens_per_stream": tokens,
            "engine_reps": reps,
            "engine_server": server.kind,
            "engine_walls_ms": [rnd(x.wall * 1000, 1) for x in eng],
            "raw_walls_ms": [rnd(x.wall * 1000, 1) for x in raw],
        },
    }


def run(mode: str) -> dict[str, Any]:
    s = MODE_SETTINGS[mode]
    server = Server(s["tokens"])
    log(f"engine: 4 streams x {s['tokens']} tokens from {server.kind}, {s['reps']} reps")
    try:
        start = time.perf_counter()
        out = asyncio.run(_measure(server, s["tokens"], s["reps"]))
        log(f"engine: done in {time.perf_counter() - start:.1f}s")
        return out
    finally:
        server.close()
