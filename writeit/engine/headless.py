"""Running a pipeline to its end with no writer: every step streams, a strategy picks.

`writeit run`, the benchmarks and the tests all drive runs this way, so it lives in the engine,
not in a face. `--pick N` is checked against every step's fan-out before any step runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from writeit.domain.errors import WriteItError
from writeit.domain.models import StepState
from writeit.domain.outline import parse_items
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
        """The 0-based index (in the step's order) this strategy picks among a finished step's
        responses. With a `shown_order` (a shuffled display) every choice is made as a writer
        sees the panes: `N` counts in that order, `first` is the first shown."""
        shown = _positions(step, shown_order)
        responses = [step.responses[step.response_ids[i]] for i in shown]
        usable = [k for k, r in enumerate(responses) if r.usable]
        # Automatic picks take only complete answers, never the partial text of a failed stream.
        complete = [k for k in usable if responses[k].status is ResponseStatus.COMPLETED]
        number = self.number
        if not (complete if number is None else usable):
            reasons = "; ".join(f"{r.model_ref}: {r.error or r.status.value}" for r in responses)
            raise WriteItError(f"step '{step.name}': no response to pick ({reasons})")
        if self.how == "first":
            return shown[complete[0]]
        if self.how == "longest":
            return shown[max(complete, key=lambda k: len(responses[k].content))]
        assert number is not None
        if number > len(responses):
            raise WriteItError(f"step '{step.name}': there is no response {number}")
        if number - 1 not in usable:
            raise WriteItError(
                f"step '{step.name}': response {number} is {responses[number - 1].status}"
            )
        return shown[number - 1]

    def choose_item(
        self, step: StepState, shown_order: list[str] | None = None
    ) -> tuple[int, int | None]:
        """(response, item) this strategy picks on an item step: `first` the first item of the
        first complete response, `longest` the longest item of any, `N` item N of the first
        complete response that lists N items, "first" as shown when `shown_order` is given. A
        step whose responses list nothing is picked whole (item None), as the TUI allows."""
        listed: dict[int, list[str]] = {}
        for i in _positions(step, shown_order):
            response = step.responses[step.response_ids[i]]
            if response.status is ResponseStatus.COMPLETED and (
                items := parse_items(response.content)
            ):
                listed[i] = items
        if not listed:
            whole = self if self.number is None else PickStrategy("first")
            return whole.choose(step, shown_order), None
        if self.how == "longest":
            return max(
                ((i, k) for i, items in listed.items() for k in range(len(items))),
                key=lambda ik: len(listed[ik[0]][ik[1]]),
            )
        want = (self.number or 1) - 1
        for i, items in listed.items():
            if want < len(items):
                return i, want
        most = max(len(items) for items in listed.values())
        raise WriteItError(
            f"step '{step.name}': --pick {want + 1} asks for item {want + 1}, "
            f"but the responses list at most {most}"
        )

    def choose_section(
        self, step: StepState, section: int, shown_order: list[str] | None = None
    ) -> int:
        """The index (within `section`) this strategy picks among a section's responses."""
        own = step.sections[section]
        view = StepState(
            name=f"{step.name}, section {section + 1} ({own.title})",
            status=step.status,
            response_ids=list(own.response_ids),
            responses={r: step.responses[r] for r in own.response_ids if r in step.responses},
        )
        return self.choose(view, shown_order)


def _positions(step: StepState, shown_order: list[str] | None) -> list[int]:
    """Indices into `step.response_ids` of its responses, in the order shown (default: its own)."""
    ids = step.response_ids
    return [ids.index(r) for r in (shown_order or ids) if r in step.responses]
