"""A pipeline whose every step is picked whole, for tests of what does not depend on items or
sections (every shipped pipeline chooses an item)."""

from __future__ import annotations

from pathlib import Path

PLAIN = """\
name: plain-post
description: Ideas, draft and polish, each picked whole
inputs:
  - {name: topic, type: text, required: true}
  - {name: audience, type: text}
steps:
  - {name: ideas, prompt: "Suggest five headlines about {{ inputs.topic }}."}
  - {name: draft, prompt: "Write a post about {{ inputs.topic }}: {{ steps.ideas.selected }}"}
  - name: polish
    prompt: "Polish this post. {{ steps.draft.feedback }}\\n\\n{{ steps.draft.selected }}"
"""


def install_plain(*homes: Path) -> str:
    """Install the plain pipeline in each WriteIt home; its name."""
    for home in homes:
        (home / "pipelines").mkdir(parents=True, exist_ok=True)
        (home / "pipelines" / "plain-post.yaml").write_text(PLAIN)
    return "plain-post"
