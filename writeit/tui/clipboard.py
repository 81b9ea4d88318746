"""Copy from the run screen: which text a copy key means, and the notice that says how it went.

`y` copies what the writer is looking at (the focused response, else the text the step sent
forward, else the article); `Y` always copies the article. The bytes come from `osc52`, so a
copy works over SSH and inside tmux or screen, where no local clipboard tool can reach.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from textual.app import App

from writeit.domain.compare import display_order
from writeit.domain.models import PipelineRun, StepState
from writeit.domain.redact import strip_control
from writeit.domain.sections import edited_whole
from writeit.tui import osc52


@dataclass(frozen=True)
class Copyable:
    """A text to copy and the words that name it in the notice."""

    what: str
    text: str


def article(run: PipelineRun) -> Copyable | None:
    text = run.article
    return Copyable("the article", text) if text and text.strip() else None


def on_screen(
    run: PipelineRun, step: str, focused_id: str | None, *, blind: bool = False
) -> Copyable | None:
    """The focused response, else the text `step` sent forward (pick or edit), else the article.
    `blind`: the notice must not name the model the screen hides."""
    state = run.steps[step]
    if focused_id is not None and focused_id in state.responses:
        response = state.responses[focused_id]
        if response.content.strip():
            model = "" if blind else f" ({response.model_ref})"
            return Copyable(f"{_pane_name(state, step, focused_id)}{model}", response.content)
    if state.content is not None and state.content.strip():
        if state.selected is not None:
            how = "picked text"
        elif state.sections and not edited_whole(state):
            how = "chosen sections"
        else:
            how = "edited text"
        return Copyable(f"the {how} of '{step}'", state.content)
    return article(run)


def _pane_name(state: StepState, step: str, response_id: str) -> str:
    """The response as its pane is numbered on screen: a section step numbers each section's
    panes on their own, in that section's shuffled order."""
    for k, section in enumerate(state.sections):
        if response_id in section.response_ids:
            number = display_order(section.response_ids).index(response_id) + 1
            return f"response {number} of section {k + 1} of '{step}'"
    number = display_order(state.response_ids).index(response_id) + 1
    return f"response {number} of '{step}'"


def copy(app: App[object], item: Copyable | None, environ: Mapping[str, str] | None = None) -> str:
    """Send `item` to the terminal's clipboard; returns the notice saying what and how (or why
    not). Control sequences in model text are dropped: what is pasted must not drive a terminal.
    """
    if item is None:
        return "Nothing to copy yet: no response here has text, and there is no article."
    text = strip_control(item.text)
    env = os.environ if environ is None else environ
    clip = osc52.clip(text, env)
    if clip.refused:
        return f"Not copied: {item.what} is {clip.refused}. Export it instead (x)."
    driver = app._driver  # Textual writes its own OSC 52 the same way (App.copy_to_clipboard)
    if driver is None:
        return "Not copied: there is no terminal to send the clipboard sequence to."
    app._clipboard = text  # Textual's own paste (ctrl+v in a text field) reads it
    driver.write(clip.sequence)
    driver.flush()
    # tmux's defaults (set-clipboard external, allow-passthrough off) drop both sequences.
    hint = (
        "tmux needs `set -g set-clipboard on` (or allow-passthrough on)"
        if env.get("TMUX")
        else "your terminal does not accept OSC 52"
    )
    return (
        f"Copied {item.what} ({len(text):,} characters) by {clip.via}. If nothing arrives, {hint}."
    )
