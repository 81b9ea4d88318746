"""Running a pipeline to its end with no writer: every step streams, a strategy picks.

`writeit run`, the benchmarks and the tests all drive runs this way, so it lives in the engine,
not in a face. `--pick N` is checked against every step's fan-out before any step runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from writeit.domain.errors import WriteItError
from writeit.domain.models import StepState
from writeit.domain.status import ResponseStatus

STRATEGIES = ("first", "longest")


@dataclass(frozen=True)
class PickStrategy:
    """`first`, `longest`, or the Nth response (1-based, as the TUI's number keys count)."""

    how: str

    @classmethod
    def parse(cls, text: str) -> PickStrategy:
        text = text.strip()
        if text in STRATEGIES or (text.isdigit() and int(text) >= 1):
            return cls(text)
        raise WriteItError(f"--pick {text}: use a number from 1, first or longest")

    @property
    def number(self) -> int | None:
        return int(self.how) if self.how.isdigit() else None

    def check_fanout(self, responses_per_step: dict[str, int]) -> None:
        """Refuse `--pick N` when some step will have fewer than N responses."""
        number = self.number
        if number is None:
            return
        for step, count in responses_per_step.items():
            if number > count:
                raise WriteItError(
                    f"--pick {number}: step '{step}' has only {count} response"
                    f"{'s' if count != 1 else ''}; use 1-{count}, first or longest"
                )

    def choose(self, step: StepState, shown_order: list[str] | None = None) -> int:
        """The 0-based index this strategy picks among a finished step's responses; with a
        `shown_order` (a shuffled display), `N` counts in that order, as the TUI's keys do."""
        responses = step.ordered_responses()
        usable = [i for i, r in enumerate(responses) if r.usable]
        # Automatic picks take only complete answers, never the partial text of a failed stream.
        complete = [i for i in usable if responses[i].status is ResponseStatus.COMPLETED]
        number = self.number
        if not (complete if number is None else usable):
            reasons = "; ".join(f"{r.model_ref}: {r.error or r.status.value}" for r in responses)
            raise WriteItError(f"step '{step.name}': no response to pick ({reasons})")
        if self.how == "first":
            return complete[0]
        if self.how == "longest":
            return max(complete, key=lambda i: len(responses[i].content))
        assert number is not None
        index = number - 1
        if index >= len(responses):
            raise WriteItError(f"step '{step.name}': there is no response {number}")
        if shown_order:
            index = step.response_ids.index(shown_order[index])
        if index not in usable:
            raise WriteItError(
                f"step '{step.name}': response {number} is {responses[index].status}"
            )
        return index
