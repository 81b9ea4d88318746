"""Section steps and item picks inside the fold, and what a section's prompt sees of the others.

The fold (`writeit.domain.fold`) checks what every event shares (the past is open, earlier steps
are done); the functions here change a step's sections: a round planned from the outline, one
section (re)started, one section picked, and the step's output assembled once every section has
its pick. Item picks check that the item's text is what the response lists at that index.
"""

from __future__ import annotations

from writeit.domain.errors import IllegalTransition
from writeit.domain.events import ResponsePicked, SectionsPlanned, StepStarted
from writeit.domain.models import AIResponse, SectionState, StepState
from writeit.domain.outline import assemble, parse_items, section_body
from writeit.domain.status import StepStatus, check_step

# Roughly four characters a token: how much earlier text a section prompt may quote when the
# step's models' context is not known more precisely.
CHARS_PER_TOKEN = 4


def plan_round(step: StepState, e: SectionsPlanned) -> None:
    """A new round of a section step: every section open, no responses yet."""
    if not e.sections:
        raise IllegalTransition(f"step '{e.step}' needs at least one section to draft")
    step.sections = [SectionState(title=p.title, notes=p.notes) for p in e.sections]
    step.title = e.title


def start_section(step: StepState, e: StepStarted) -> None:
    """Section `e.section` gets a new round of responses; the other sections keep theirs."""
    assert e.section is not None
    section = _section(step, e.section, e.step)
    if any(not r.finished for r in step.section_responses(e.section)):
        raise IllegalTransition(f"section {e.section + 1} of '{e.step}' is still streaming")
    if step.status is StepStatus.COMPLETED:
        check_step(e.step, step.status, StepStatus.RUNNING)
        step.status = StepStatus.RUNNING
        step.content = None
    elif step.status is not StepStatus.RUNNING:
        raise IllegalTransition(f"step '{e.step}' has no sections planned")
    old = set(section.response_ids)
    step.earlier_response_ids.extend(section.response_ids)
    step.response_ids = [r for r in step.response_ids if r not in old]
    for rid in old:
        step.responses.pop(rid, None)
    for stub in e.responses:
        step.response_ids.append(stub.response_id)
        step.responses[stub.response_id] = AIResponse(
            response_id=stub.response_id,
            provider=stub.provider,
            model=stub.model,
            prompt_used=e.prompt,
            created_at=e.at,
        )
    section.prompt = e.prompt
    section.attempt += 1
    section.selected = None
    section.content = None
    section.response_ids = [r.response_id for r in e.responses]


def assembled(step: StepState) -> str:
    """A section step's text from its chosen sections, in outline order under their headings."""
    return assemble(step.title, [(s.title, s.content or "") for s in step.sections])


def edited_whole(step: StepState) -> bool:
    """Whether the writer's edit of a section step's whole text went forward (not its picks)."""
    return bool(step.sections) and step.content is not None and step.content != assembled(step)


def pick_section(step: StepState, e: ResponsePicked) -> bool:
    """Record a section's pick; True when every section now has one (the step completes)."""
    assert e.section is not None
    section = _section(step, e.section, e.step)
    if e.response_id not in section.response_ids:
        raise IllegalTransition(
            f"response {e.response_id[:8]} is not one of section {e.section + 1} of '{e.step}'"
        )
    r = _usable(step, e)
    section.selected = e.index
    section.content = r.content
    if not all(s.picked for s in step.sections):
        return False
    step.content = assembled(step)
    step.selected = None
    return True


def pick_item(step: StepState, e: ResponsePicked) -> str:
    """The text an item pick sends forward, checked against the response's own list."""
    r = _usable(step, e)
    items = parse_items(r.content)
    if e.item is None or not 0 <= e.item < len(items):
        raise IllegalTransition(f"response {e.index + 1} has no item {(e.item or 0) + 1}")
    if e.item_text is not None and e.item_text != items[e.item]:
        raise IllegalTransition(f"item {e.item + 1} of response {e.index + 1} reads differently")
    return items[e.item]


def _usable(step: StepState, e: ResponsePicked) -> AIResponse:
    r = step.responses.get(e.response_id)
    if r is None:
        raise IllegalTransition(f"response {e.response_id[:8]} is not one of step '{e.step}'")
    if not r.usable:
        raise IllegalTransition(f"response {e.index + 1} is {r.status} with no text to pick")
    return r


def _section(step: StepState, index: int, name: str) -> SectionState:
    if not 0 <= index < len(step.sections):
        raise IllegalTransition(f"step '{name}' has no section {index + 1}")
    return step.sections[index]


def previous_text(step: StepState, index: int, budget_chars: int) -> str:
    """What a section's prompt is told of the sections before it (`{{ section.previous }}`).

    Each earlier section gives its chosen text; one not chosen yet gives its heading and notes
    (so concurrent drafting still knows what comes before). When the whole would not fit
    `budget_chars`, each earlier section is cut to its share, keeping its heading and first
    sentences: a bounded summary rather than a prompt the model cannot take.
    """
    parts = []
    for s in step.sections[:index]:
        body = section_body(s.content) if s.content is not None else f"(to be written) {s.notes}"
        parts.append((s.title, body.strip()))
    whole = "\n\n".join(f"## {t}\n\n{b}" for t, b in parts)
    if len(whole) <= budget_chars or not parts:
        return whole
    share = max(80, budget_chars // len(parts) - 20)
    return "\n\n".join(f"## {t}\n\n{_cut(b, share)}" for t, b in parts)[:budget_chars]


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    stop = max(cut.rfind(". "), cut.rfind(".\n"))
    return (cut[: stop + 1] if stop > limit // 3 else cut.rstrip()) + " …"
