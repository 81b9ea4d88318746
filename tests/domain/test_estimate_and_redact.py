"""The pure parts of cost control and secret redaction: ranges, budgets, streamed secrets."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from writeit.domain.budget import BudgetState, check_step
from writeit.domain.estimate import History, StepEstimate, estimate_model, median, percentile
from writeit.domain.redact import StreamRedactor, redact, url_secrets

KEY = "sk-live-0123456789abcdef"


def per_million(model: str, inp: int, out: int) -> float | None:
    return None if model == "x:unpriced" else (inp * 1.0 + out * 10.0) / 1e6


def test_with_no_history_the_range_runs_up_to_max_tokens() -> None:
    m = estimate_model("a:b", 2, 1000, 4000, History(), per_million)
    assert (m.output_low, m.output_high, m.history) == (0, 4000, 0)
    assert m.input_high == 1250  # the counted prompt plus a quarter
    assert m.low_usd == 2 * 1000 / 1e6 and m.high_usd == 2 * (1250 + 40_000) / 1e6


def test_history_gives_median_to_90th_percentile_and_unknown_prices_are_named() -> None:
    outputs = (100, 110, 120, 130, 900)
    m = estimate_model("a:b", 1, 50, 4000, History(outputs, (40,) * 5), per_million)
    assert (
        (m.output_low, m.output_high) == (median(outputs), percentile(outputs, 0.9)) == (120, 900)
    )
    unpriced = estimate_model("x:unpriced", 1, 50, 4000, History(), per_million)
    step = StepEstimate("draft", (m, unpriced))
    assert step.unpriced == ["x:unpriced"] and step.high_usd == m.high_usd
    assert "unknown price: x:unpriced" in step.describe()


def test_inputs_after_picks_run_from_the_known_template_to_every_unknown_at_its_limit() -> None:
    m = estimate_model("a:b", 1, None, 100, History(), per_million, unknown_input=(300, 5000))
    assert (m.input_tokens, m.input_high) == (300, 5000)
    assert m.low_usd == 300 / 1e6 and m.high_usd == (5000 + 1000) / 1e6
    with_history = estimate_model("a:b", 1, None, 100, History((10,), (800,)), per_million)
    assert (with_history.input_tokens, with_history.input_high) == (800, 1000)


def test_a_step_may_start_only_when_its_upper_estimate_fits_what_remains() -> None:
    m = estimate_model("a:b", 1, 1000, 100, History(), per_million)  # up to $0.00225
    step = StepEstimate("draft", (m,))
    assert check_step(BudgetState(None, 5.0), step) is None
    assert check_step(BudgetState(0.01, 0.007), step) is None
    reason = check_step(BudgetState(0.01, 0.009), step)
    assert (
        reason
        == "step 'draft' may cost up to $0.0023 but $0.0010 of the run's $0.0100 budget remains"
    )
    unpriced = estimate_model("x:unpriced", 1, 50, 4000, History(), per_million)
    reason = check_step(BudgetState(0.01, 0.009), StepEstimate("draft", (m, unpriced)))
    assert reason is not None and "$0.0023 (and x:unpriced at an unknown price) but" in reason


@given(st.lists(st.integers(min_value=1, max_value=7), min_size=1, max_size=40), st.text())
def test_a_secret_split_anywhere_in_a_stream_never_comes_out(sizes: list[int], noise: str) -> None:
    text = f"{noise}key={KEY} and again {KEY}{noise}"
    chunks, i = [], 0
    while i < len(text):
        size = sizes[len(chunks) % len(sizes)]
        chunks.append(text[i : i + size])
        i += size
    redactor = StreamRedactor([KEY])
    out = [redactor.feed(c) for c in chunks] + [redactor.flush()]
    assert "".join(out) == text.replace(KEY, "***")
    assert all(KEY[:12] not in piece for piece in out)


def test_url_credentials_are_secrets_and_are_redacted_from_any_message() -> None:
    assert url_secrets(["http://gateway:pa%24%24word-1234@host/v1"]) == [
        "pa%24%24word-1234",
        "pa$$word-1234",
    ]
    line = redact(f"POST https://me:{KEY}@api.example/v1 failed for {KEY}", [KEY])
    assert line == "POST https://***@api.example/v1 failed for ***"
