"""The run screen's keys. Each action is one of the rulebook's (`writeit.domain.rules.Action`),
so `check_action` can ask the rulebook; every binding has an id a `keymap:` can remap."""

from __future__ import annotations

from textual.binding import Binding

PICK = Binding.Group("Pick")
STEP = Binding.Group("Step")

RUN_KEYS: list[Binding | tuple[str, str] | tuple[str, str, str]] = [
    *[
        Binding(
            str(i + 1),
            f"pick({i})",
            "Pick",
            tooltip="Pick that response and continue",
            group=PICK,
            id=f"pick_{i + 1}",
        )
        for i in range(9)
    ],
    Binding(
        "e", "edit", "Edit", tooltip="Edit the picked or focused response, continue", id="edit"
    ),
    Binding(
        "f",
        "feedback",
        "Feedback",
        tooltip="Give feedback, then regenerate the step",
        id="feedback",
    ),
    Binding(
        "E",
        "external_edit",
        "$EDITOR",
        show=False,
        tooltip="Edit the picked or focused response in $VISUAL/$EDITOR, continue",
        id="external_edit",
    ),
    Binding("m", "stitch", "Stitch", tooltip="Stitch paragraphs of several responses", id="stitch"),
    Binding(
        "d", "diff", "Diff", tooltip="Word differences lit in the panes (d again: back)", id="diff"
    ),
    Binding(
        "n",
        "toggle_blind",
        "Blind",
        show=False,
        tooltip="Blind mode: hide model names until the pick",
        id="toggle_blind",
    ),
    Binding("r", "regenerate", "Regen", tooltip="Regenerate (or start) the step", id="regenerate"),
    Binding("c", "cancel", "Cancel", tooltip="Cancel streaming (text so far is kept)", id="cancel"),
    Binding(
        "b", "branch", "Branch", tooltip="Branch a new run from the step on screen", id="branch"
    ),
    Binding(
        "left",
        "prev_step",
        "Step",
        key_display="←",
        priority=True,
        group=STEP,
        tooltip="Previous step",
        id="prev_step",
    ),
    Binding(
        "right",
        "next_step",
        "Step",
        key_display="→",
        priority=True,
        group=STEP,
        tooltip="Next step",
        id="next_step",
    ),
    # Item and section steps (the rulebook's MOVE, ACCEPT_ALL; choosing an item is a PICK).
    # Priority, so a focused pane does not scroll instead; elsewhere they fall through.
    Binding("up", "move(-1)", "Item", key_display="↑", priority=True, show=False, id="move_up"),
    Binding("down", "move(1)", "Item", key_display="↓", priority=True, show=False, id="move_down"),
    Binding("enter", "choose", "Choose", priority=True, tooltip="Choose the item", id="choose"),
    Binding(
        "A",
        "accept_all",
        "Accept all",
        tooltip="Pick the first completed response of every open section",
        id="accept_all",
    ),
    Binding(
        "o",
        "edit_sections",
        "Sections",
        tooltip="Edit the section list (an edit of the step the sections come from)",
        id="edit_sections",
    ),
    Binding("tab", "pane(1)", "Pane", show=False, tooltip="Next pane", id="next_pane"),
    Binding("shift+tab", "pane(-1)", "Pane", show=False, tooltip="Previous pane", id="prev_pane"),
    Binding("x", "export", "Export", tooltip="Export the run (asks the format)", id="export"),
    Binding(
        "y",
        "copy",
        "Copy",
        show=False,
        tooltip="Copy the focused response, else the step's picked text, to the clipboard",
        id="copy",
    ),
    Binding(
        "Y",
        "copy_article",
        "Copy article",
        show=False,
        tooltip="Copy the article to the clipboard",
        id="copy_article",
    ),
    Binding(
        "v",
        "toggle_reasoning",
        "Reasoning",
        show=False,
        tooltip="Show or hide the models' reasoning",
        id="toggle_reasoning",
    ),
    Binding(
        "dollar_sign",
        "budget",
        "Budget",
        key_display="$",
        show=False,
        tooltip="Set, raise or remove the run's budget (USD)",
        id="budget",
    ),
    Binding("t", "tree", "Tree", show=False, tooltip="Branch tree of this run's family", id="tree"),
    Binding(
        "h",
        "history",
        "History",
        show=False,
        tooltip="Event log of this run (time travel)",
        id="history",
    ),
    Binding("escape", "back", "Back", tooltip="Back to the list of runs", id="back"),
]
