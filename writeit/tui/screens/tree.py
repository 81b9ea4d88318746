"""The branch tree of a run's family: parents, children, where each branched, and status."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from writeit.domain.models import PipelineRun
from writeit.tui.screens.base import WriteItScreen
from writeit.tui.text import RUN_STYLE, plain, short_id, topic, when
from writeit.tui.widgets.key_bar import KeyBar


def node_label(run: PipelineRun, current: str, state: str) -> Text:
    """`1a2b3c4d @draft ◀ this run · waiting for your pick · 3/4 · 12:01 · LMDB`; the run you
    came from is marked. `state` is the engine's word for where the run is, as the run screen says it."""
    text = Text(short_id(run.run_id), style="bold" if run.run_id == current else "")
    if run.branch_point:
        text.append(f" @{run.branch_point}", style="magenta")
    if run.run_id == current:  # first, so that a narrow terminal never cuts it off
        text.append(" ◀ this run", style="bold cyan")
    parts: list[Text] = [
        Text(state, style=RUN_STYLE[run.status]),
        Text(f"{run.steps_done}/{len(run.step_order)} steps"),
        Text(when(run.created_at)),
        plain(topic(run)[:40]),
    ]
    if run.archived:
        parts.append(Text("archived", style="italic"))
    for part in parts:
        text.append(" · ", style="dim")
        text.append_text(part)
    return text


class TreeScreen(WriteItScreen[str | None]):
    """Dismisses with the run id chosen with enter, or None on escape."""

    TITLE = "Branch tree"
    HELP = "Every run of this family. @step is where a branch left its parent."
    BINDINGS = [
        Binding("enter", "open", "Open run", id="tree_open"),
        Binding("escape", "back", "Back", id="tree_back"),
    ]

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id

    def compose(self) -> ComposeResult:
        yield Static(
            Text.assemble(
                ("Branch tree", "bold"), ("  ↑/↓ choose · enter opens a run · esc back", "dim")
            ),
            id="tree-title",
        )
        yield Tree[str](Text("runs"), id="family")
        yield KeyBar()

    def on_mount(self) -> None:
        family = self.engine.family(self.run_id)
        runs, children = family.runs, family.children
        tree: Tree[str] = self.query_one(Tree)
        tree.show_root = False
        tree.guide_depth = 3

        def add(parent: TreeNode[str], run_id: str) -> None:
            run = runs.get(run_id)
            if run is None:
                return
            label = node_label(run, self.run_id, self.engine.state_of(run))
            node = parent.add(label, data=run_id, expand=True)
            kids = children.get(run_id, [])
            if not kids:
                node.allow_expand = False
            for child in kids:
                add(node, child)
            if run_id == self.run_id:
                self.call_after_refresh(tree.move_cursor, node)

        add(tree.root, family.root)
        tree.root.expand()
        tree.focus()

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected[str]) -> None:
        event.stop()
        self.dismiss(event.node.data)

    def action_open(self) -> None:
        node = self.query_one(Tree).cursor_node
        if node is not None and node.data:
            self.dismiss(node.data)

    def action_back(self) -> None:
        self.dismiss(None)
