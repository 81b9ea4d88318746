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

    def choose_item(self, step: StepState) -> tuple[int, int | None]:
        """(response, item) this strategy picks on an item step: `first` the first item of the
        first complete response, `longest` the longest item of any, `N` item N of the first
        complete response that lists N items. A step whose responses list nothing is picked
        whole (item None), as the TUI allows."""
        responses = step.ordered_responses()
        lists = {
            i: parse_items(r.content)
            for i, r in enumerate(responses)
            if r.status is ResponseStatus.COMPLETED
        }
        listed = {i: items for i, items in lists.items() if items}
        if not listed:
            return (self.choose(step) if self.number is None else self._whole(step)), None
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

    def _whole(self, step: StepState) -> int:
        """A numbered strategy on an item step without lists: the first complete response."""
        return PickStrategy("first").choose(step)

    def choose_section(self, step: StepState, section: int) -> int:
        """The index (within `section`) this strategy picks among a section's responses."""
        own = step.sections[section]
        view = StepState(
            name=f"{step.name}, section {section + 1} ({own.title})",
            status=step.status,
            response_ids=list(own.response_ids),
            responses={r: step.responses[r] for r in own.response_ids if r in step.responses},
        )
        return self.choose(view)
