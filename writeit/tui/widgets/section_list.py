"""The section list of a section step (`for_each: sections of STEP`) on the run screen.

Before drafting it lists the sections the source step's text holds now (what `r` will draft);
afterwards each section with its state: planned, streaming, responses in, or which response was
picked. The run screen shows the responses of the section under the cursor in its panes, so
`section_view` gives the pane deck a step-shaped view of one section.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from writeit.domain.compare import display_order
from writeit.domain.models import StepState
from writeit.domain.outline import Section
from writeit.domain.status import ResponseStatus, StepStatus

WINDOW = 9  # sections shown at once; the cursor stays inside the window


def section_view(step: StepState, index: int) -> StepState:
    """Section `index` of `step` as a step of its own (its responses, its pick), for panes."""
    section = step.sections[index]
    return StepState(
        name=step.name,
        status=StepStatus.COMPLETED if section.picked else step.status,
        prompt=section.prompt,
        response_ids=list(section.response_ids),
        responses={r: step.responses[r] for r in section.response_ids if r in step.responses},
        selected=section.selected,
        content=section.content,
        attempt=section.attempt,
    )


def section_state(step: StepState, index: int) -> str:
    """A few words for where section `index` is."""
    section = step.sections[index]
    responses = step.section_responses(index)
    if section.picked and section.selected is not None:
        # The pane number the writer saw: panes are shown in the step's shuffled order.
        shown = display_order(section.response_ids)
        return f"✓ picked {shown.index(section.response_ids[section.selected]) + 1}"
    if section.picked:
        return "✓ chosen"
    live = sum(1 for r in responses if r.status is ResponseStatus.STREAMING)
    if live:
        return f"streaming {len(responses) - live}/{len(responses)}"
    if not responses:
        return "planned"
    usable = sum(1 for r in responses if r.usable)
    return f"{usable} to choose from" if usable else "no text: r redrafts it"


class SectionList(Static):
    """Sections with their states and a cursor (`up`/`down` on the run screen move it)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, classes="section-list", markup=False)
        self.display = False

    def show_planned(self, source: str, sections: list[Section], cursor: int, keys: str) -> None:
        """The sections `r` would draft now, from the source step's text."""
        head = Text.assemble(
            (f"{len(sections)} sections from '{source}'", "bold"), f"  {keys}", style=""
        )
        rows = [(s.title, "planned") for s in sections]
        self._draw(head, rows, cursor)

    def show_sections(self, step: StepState, cursor: int, keys: str) -> None:
        done = sum(1 for s in step.sections if s.picked)
        head = Text.assemble((f"Sections {done}/{len(step.sections)} chosen", "bold"), f"  {keys}")
        rows = [(s.title, section_state(step, i)) for i, s in enumerate(step.sections)]
        self._draw(head, rows, cursor)

    def _draw(self, head: Text, rows: list[tuple[str, str]], cursor: int) -> None:
        start = min(max(0, cursor - WINDOW // 2), max(0, len(rows) - WINDOW))
        text = Text()
        text.append_text(head)
        for i, (title, state) in enumerate(rows[start : start + WINDOW], start):
            mark = "▸" if i == cursor else " "
            style = "reverse" if i == cursor else ""
            text.append(f"\n{mark} {i + 1}. ", style=style)
            text.append(title[:60], style=f"{style} bold".strip())
            text.append(f"  {state}", style="dim" if i != cursor else style)
        if len(rows) > WINDOW:
            text.append(f"\n  ({len(rows)} sections; ↑/↓ scroll)", style="dim")
        self.update(text)
        self.display = True
