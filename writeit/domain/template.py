"""Prompt templates: `{{ inputs.topic }}`, `{{ steps.angles.selected }}`, `{{ style }}`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# Greedy and unambiguous (the name is stripped afterwards): a lazy name followed by `\s*` made
# every `{{` before a long run of spaces cost time quadratic in that run.
PLACEHOLDER = re.compile(r"\{\{([^{}]*)\}\}")
STEP_FIELDS = ("selected", "feedback")
SECTION_FIELDS = ("title", "notes", "previous")


@dataclass(frozen=True)
class Placeholder:
    name: str
    line: int  # 0-based line inside the template


def placeholders(template: str) -> list[Placeholder]:
    """Every `{{ ... }}` in a template with the line it sits on.

    Linear in the template: lines are counted from the previous match on, not from the start
    (100,000 placeholders in 6 MB took minutes when each counted from the top).
    """
    found = []
    line = last = 0
    for m in PLACEHOLDER.finditer(template):
        line += template.count("\n", last, m.start())
        last = m.start()
        found.append(Placeholder(m.group(1).strip(), line))
    return found


def check_reference(
    name: str,
    inputs: set[str],
    earlier_steps: list[str],
    all_steps: set[str],
    *,
    section: bool = False,
) -> str | None:
    """Why `name` is not a valid variable for a step preceded by `earlier_steps`, or None.

    `section`: the step runs per section (`for_each`), so `section.*` names are defined.
    """
    parts = name.split(".")
    if parts == ["style"]:
        return None
    if parts[0] == "section":
        if not section:
            return f"'{{{{ {name} }}}}' is only defined in a step with for_each: sections of STEP"
        if len(parts) == 2 and parts[1] in SECTION_FIELDS:
            return None
        return f"'{{{{ {name} }}}}': a section offers only {', '.join(SECTION_FIELDS)}"
    if parts[0] == "inputs" and len(parts) == 2:
        return None if parts[1] in inputs else f"undefined input '{parts[1]}' in '{{{{ {name} }}}}'"
    if parts[0] == "steps" and len(parts) == 3:
        step, field = parts[1], parts[2]
        if field not in STEP_FIELDS:
            return f"'{{{{ {name} }}}}': a step offers only {', '.join(STEP_FIELDS)}"
        if step in earlier_steps:
            return None
        if step in all_steps:
            return f"'{{{{ {name} }}}}' refers to step '{step}', which does not come earlier"
        return f"undefined step '{step}' in '{{{{ {name} }}}}'"
    return (
        f"undefined variable '{{{{ {name} }}}}' "
        "(use inputs.X, steps.X.selected|feedback, style, section.title|notes|previous)"
    )


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill every placeholder from `values` (dotted names); a missing value renders empty.

    Lines left blank by empty optional values are collapsed so prompts stay tidy.
    """
    text = PLACEHOLDER.sub(lambda m: values.get(m.group(1).strip(), ""), template)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() + "\n"
