"""Cost control (issue 13) against the stand-in server: an estimate before, a budget that holds.

The stand-in server here reports token counts it makes itself (a word-and-punctuation count of
the prompt, one token per streamed word), and the prices are genai-prices' for the real models
named, so every figure the engine shows can be checked against what the server said it used.
It answers each prompt in kind (five numbered angles, a seven-section outline, prose whose
length follows the prompt's), so every shipped pipeline, item and section steps included, runs.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fake_llm_server import FakeLLMServer, RecordedRequest, Scenario
from reliability.support import dump_store, store_path

from writeit.cli.main import main
from writeit.domain.budget import BUDGET, OverBudget
from writeit.domain.estimate import RunEstimate
from writeit.domain.models import PipelineRun
from writeit.domain.requests import tokens_for_chars
from writeit.domain.status import ResponseStatus
from writeit.engine import Engine, PickStrategy

MODELS = ["openai:gpt-4o-mini", "anthropic:claude-sonnet-4-5"]
OUTPUT_PRICE = {"openai:gpt-4o-mini": 0.60, "anthropic:claude-sonnet-4-5": 15.0}  # $/1M
TOKEN = re.compile(r"\w+|[^\w\s]")


def answer_to(prompt: str) -> str:
    """What the stand-in writes: numbered angles, an outline with sections, or prose whose
    length follows the prompt's (so runs on other topics differ a little, as real ones do)."""
    if "angles" in prompt and "Number them" in prompt:
        return "\n".join(
            f"{i}. **Angle {i}**: why readers care, take-away {i}." for i in range(1, 6)
        )
    if "outline" in prompt and "level-2" in prompt:
        sections = "\n\n".join(f"## Part {i}\n\n- claim {i}\n- example {i}" for i in range(1, 8))
        return f"# A title\n\n{sections}"
    words = 40 + len(prompt) // 60
    return " ".join(f"word{i % 13}" for i in range(words)) + "."


class CountingServer(FakeLLMServer):
    """Reports the prompt's tokens as it counts them and answers each prompt in kind."""

    token_delay = 0.0

    async def _respond(self, record: RecordedRequest, reader: object, writer: object) -> None:
        messages = record.body.get("messages", [])
        text = json.dumps(messages) + str(record.body.get("system", ""))
        prompt = " ".join(str(m.get("content", "")) for m in messages)
        record.scenario = replace(
            record.scenario,
            text=answer_to(prompt),
            input_tokens=len(TOKEN.findall(text)),
            token_delay=self.token_delay,
        )
        await super()._respond(record, reader, writer)  # type: ignore[arg-type]


@pytest.fixture
def server(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingServer]:
    with CountingServer() as s:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-openai-key-000")
        monkeypatch.setenv("OPENAI_BASE_URL", s.openai_base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-key-000")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", s.anthropic_base_url)
        s.default = Scenario()
        yield s


def step_costs(run: PipelineRun) -> dict[str, float]:
    return {
        s.name: sum(r.usage.cost_usd or 0.0 for r in s.responses.values())
        for s in run.ordered_steps()
    }


async def run_through(engine: Engine, run_id: str, *, over_budget: bool = False) -> PipelineRun:
    try:
        return await engine.run_to_end(run_id, PickStrategy.parse("first"), over_budget=over_budget)
    finally:
        await engine.aclose()


def start_and_run(engine: Engine, pipeline: str, topic: str) -> tuple[RunEstimate, PipelineRun]:
    config = engine.pipelines().items[pipeline].config
    inputs = {i.name: topic for i in config.inputs if i.required and i.type != "choice"}
    estimate = engine.estimate(pipeline, inputs, models={"*": MODELS})
    run = engine.start_run(pipeline, inputs, models={"*": MODELS})
    return estimate, asyncio.run(run_through(engine, run.run_id))


@pytest.mark.slow  # every shipped pipeline end to end: ~18 s here
def test_the_upper_estimate_is_never_below_the_cost_of_any_shipped_pipeline(
    home: Path, server: CountingServer
) -> None:
    with Engine.open(home) as engine:
        pipelines = sorted(engine.pipelines().items)
        assert {"blog-post", "newsletter", "tech-article"} <= set(pipelines)
        for name in pipelines:
            estimate, run = start_and_run(engine, name, f"bounds of {name}")
            assert run.status.value == "completed", (name, run.error)
            actual = step_costs(run)
            assert all(actual.values()), (name, actual)  # every step was priced and charged
            for step in estimate.steps:
                assert not step.unpriced
                assert step.high_usd >= actual[step.step] > 0, (name, step.step, step, actual)
            assert estimate.high_usd >= run.totals().cost_usd
            # and with no history the low end is not above it either (it counted every
            # unknown input at its limit: tech-article's first run, ≈$1.10 low for $0.04)
            assert estimate.low_usd <= run.totals().cost_usd, (name, estimate.low_usd)


@pytest.mark.slow  # four runs: ~7 s here
def test_after_three_runs_the_median_estimate_is_within_a_quarter_of_each_step(
    home: Path, server: CountingServer
) -> None:
    with Engine.open(home) as engine:
        for topic in ("databases", "compilers in practice", "why caches lie"):
            start_and_run(engine, "tech-article", topic)
        estimate, run = start_and_run(engine, "tech-article", "observability for small teams")
    actual = step_costs(run)
    for step in estimate.steps:
        assert all(m.history >= 3 for m in step.models), step
        error = abs(step.low_usd - actual[step.step]) / actual[step.step]
        assert error <= 0.25, (step.step, step.low_usd, actual[step.step])


def test_a_budget_below_the_run_stops_streaming_within_a_chunk_and_keeps_every_word(
    home: Path, server: CountingServer
) -> None:
    # Chunks 20 ms apart: a stream is read in batches (a pause of 1/20 s after each wait), and
    # at 4 ms a short answer could be sent whole during one pause, before the budget stopped
    # it; at 20 ms the streams are still being written when the budget is reached.
    server.token_delay = 0.02
    # Both prompts cost ~$0.0009 once their first chunk arrives (a request that received
    # nothing is free); the rest of the budget runs out while the answers stream.
    budget = 0.0015
    shown: dict[str, list[str]] = {}
    told: list[str] = []
    with Engine.open(home) as engine:
        engine.subscribe(
            on_delta=lambda _run, rid, text: shown.setdefault(rid, []).append(text),
            on_notice=lambda _run, _rid, message: told.append(message),
        )
        run = engine.start_run(
            "tech-article", {"topic": "x"}, models={"*": MODELS}, budget_usd=budget
        )
        with pytest.raises(OverBudget, match="budget was reached during step"):
            asyncio.run(run_through(engine, run.run_id, over_budget=True))
        run = engine.load(run.run_id)
        state = engine.budget(run.run_id)
        events = [e.type for e in engine.history(run.run_id)]
    responses = [r for s in run.ordered_steps() for r in s.ordered_responses()]
    stopped = [r for r in responses if r.status is ResponseStatus.CANCELLED]
    assert stopped and all(
        r.status is ResponseStatus.COMPLETED for r in responses if r not in stopped
    )
    assert all(r.cancel_reason == BUDGET and "budget" in (r.error or "") for r in stopped)
    assert any(m.startswith("budget reached") for m in told), told
    # Nothing streamed is lost: every response holds exactly what was shown as it streamed.
    for r in stopped:
        assert r.raw_output == "".join(shown.get(r.response_id, []))
    assert any(r.raw_output for r in stopped)
    # Overshoot: at most the chunk each open stream had just received.
    chunks = [(r, max(map(len, shown[r.response_id]))) for r in stopped if r.response_id in shown]
    one_chunk = sum(tokens_for_chars(n) * OUTPUT_PRICE[r.model_ref] for r, n in chunks) / 1e6
    assert budget <= state.spent_usd <= budget + one_chunk, (state, one_chunk)
    assert state.spent_usd == run.totals().cost_usd
    assert events[:2] == ["run_created", "budget_set"]
    # The stopped streams were hung up on, all but one the server had just finished sending
    # (the budget can stop a stream whose last chunk is already on its way).
    hung_up = [r for r in server.requests if not r.finished]
    assert len(stopped) - 1 <= len(hung_up) <= len(stopped), "the stopped streams were hung up on"


def test_a_step_that_may_cross_the_budget_is_refused_in_one_line(
    home: Path, server: CountingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["run", "tech-article", "-i", "topic=x", "-m", ",".join(MODELS), "--budget", "0.001"]
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("writeit: error: step 'angles' may cost up to $") and "\n" not in err
    assert err.endswith("budget remains (--over-budget to allow)"), err
    assert main(["list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [], "nothing was created"
    assert not server.requests


def test_estimate_json_prints_each_step_and_model_and_writes_nothing(
    home: Path, server: CountingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    models = ["-m", ",".join(MODELS)]
    assert main(["run", "tech-article", "-i", "topic=before", *models]) == 0
    earlier = capsys.readouterr().out.split()[-1]
    with Engine.open(home) as engine:  # a section step's history: a response per section
        rounds = [len(s.sections) or 1 for s in engine.load(earlier).ordered_steps()]
    assert rounds[:2] == [1, 1] and min(rounds[2:]) > 1
    before = dump_store(store_path(home))
    argv = ["run", "tech-article", "--estimate", "-i", "topic=x", "--json", *models]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert dump_store(store_path(home)) == before, "the estimate wrote to the store"
    assert [s["step"] for s in out["steps"]] == ["angles", "outline", "draft", "polish"]
    for step, count in zip(out["steps"], rounds, strict=True):
        assert [m["model"] for m in step["models"]] == MODELS
        for m in step["models"]:
            assert 0 < m["low_usd"] <= m["high_usd"] and m["history"] == count
            assert m["input_tokens"] > 0 and m["output_tokens_low"] <= m["output_tokens_high"]
    assert [s["inputs_known"] for s in out["steps"]] == [True, False, False, False]
    assert out["counted"].startswith("≈") and out["high_usd"] >= out["low_usd"] > 0
    # and a fresh home is not even created as a store with runs in it
    fresh = ["--home", str(home / "fresh"), "run", "tech-article", "--estimate", *models]
    assert main(fresh) == 0
    assert "total: ≈$" in capsys.readouterr().out
    assert not any(k.startswith(b"event:") for k in dump_store(store_path(home / "fresh")))
