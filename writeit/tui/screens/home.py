"""Home: recent runs newest first, loaded a page at a time so 10,000 runs open instantly."""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Input, Static

from writeit.domain.errors import WriteItError
from writeit.domain.models import PipelineRun
from writeit.tui.screens.base import WriteItScreen
from writeit.tui.text import RUN_STYLE, plain, short_id, topic, when

PAGE = 60  # rows loaded at a time; more load as the cursor nears the end
CHUNK = 200  # run snapshots read per scan step (filtering skips non-matching runs)
COLUMNS = ("Topic", "Pipeline", "Status", "Steps", "Created", "Branched from", "Run")
EMPTY = (
    "No runs yet.\n\n"
    "Press n to start one: choose a pipeline (tech-article: angles > outline > draft > "
    "polish), give it a topic, and watch several models write side by side. Press 1, 2… to "
    "pick the response you like at each step; the next step starts from your pick.\n\n"
    "From a shell: writeit new tech-article --input topic='Your topic'"
)


def matches(run: PipelineRun, needle: str) -> bool:
    hay = " ".join([run.run_id, run.pipeline, run.status.value, *run.inputs.values()])
    return needle.casefold() in hay.casefold()


class HomeScreen(WriteItScreen[None]):
    """The list of runs; the app's bottom screen, so escape elsewhere always leads back here."""

    TITLE = "Recent runs"
    HELP = "Your runs, newest first. Archived runs are hidden (their history is kept)."
    BINDINGS = [
        Binding("n", "new_run", "New run", id="new_run"),
        Binding("r", "resume", "Resume", id="resume", tooltip="Open the run you were on last"),
        Binding("enter", "open_run", "Open", id="open_run"),
        Binding("d", "archive", "Archive", id="archive", tooltip="Archive the run (log kept)"),
        Binding("slash", "filter", "Filter", key_display="/", id="filter"),
        Binding("escape", "clear_filter", "Clear filter", id="clear_filter"),
        Binding("q", "app.quit", "Quit", id="quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._scanned = 0
        self._exhausted = False
        self._filter = ""
        self._last: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="home"):
            yield Static(id="offline-notice", classes="notice")
            yield Static(id="resume", classes="resume")
            yield Input(placeholder="filter by topic, pipeline, status or id", id="filter")
            yield DataTable(id="runs", cursor_type="row", zebra_stripes=True)
            yield Static(EMPTY, id="empty", classes="empty-state", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column)
        table.focus()
        if self.engine.offline_only:
            self.query_one("#offline-notice", Static).update(
                Text.assemble(
                    ("Offline models: ", "bold"),
                    "no API key is set, so runs use the built-in offline:writer and "
                    "offline:editor. Set OPENAI_API_KEY or ANTHROPIC_API_KEY to use real models.",
                )
            )
        else:
            self.query_one("#offline-notice", Static).display = False

    def on_screen_resume(self) -> None:
        self.reload()
        self._last = self.engine.sessions.last_run()
        box = self.query_one("#resume", Static)
        box.display = self._last is not None
        if self._last is not None:
            run = self.engine.load(self._last)
            box.update(
                Text.assemble(
                    ("r", "bold"),
                    " resumes where you left off: ",
                    plain(topic(run)[:50], "italic"),
                    f" ({run.pipeline}, {run.status.value}, run {short_id(run.run_id)})",
                )
            )
        self.refresh_bindings()

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#runs", DataTable)

    @property
    def selected_run(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def reload(self, keep: str | None = None) -> None:
        """Start over from the newest run (after a change, or a new filter)."""
        keep = keep or self.selected_run
        self.table.clear()
        self._scanned = 0
        self._exhausted = False
        self.load_more(PAGE, keep)

    @work(exclusive=True, group="home-load")
    async def load_more(self, wanted: int, keep: str | None = None) -> None:
        """Scan runs newest first until `wanted` more rows match, yielding between chunks."""
        store = self.engine.store
        table = self.table
        added = 0
        while added < wanted and not self._exhausted:
            ids = store.recent_run_ids(limit=self._scanned + CHUNK)[self._scanned :]
            self._scanned += len(ids)
            self._exhausted = len(ids) < CHUNK
            rows = [
                r
                for r in store.run_snapshots(ids)
                if not r.archived and (not self._filter or matches(r, self._filter))
            ]
            for run in rows:
                table.add_row(*self._cells(run), key=run.run_id)
            added += len(rows)
            if keep is not None and keep in {r.run_id for r in rows}:
                table.move_cursor(row=table.get_row_index(keep))
                keep = None
            await asyncio.sleep(0)
        self._show_empty()

    def _cells(self, run: PipelineRun) -> list[Text]:
        parent = ""
        if run.parent_run_id:
            parent = f"{short_id(run.parent_run_id)} @{run.branch_point}"
        return [
            plain(topic(run)[:40]),
            Text(run.pipeline),
            Text(run.status.value, style=RUN_STYLE[run.status]),
            Text(f"{run.steps_done}/{len(run.step_order)}"),
            Text(when(run.created_at)),
            plain(parent, "dim"),
            Text(short_id(run.run_id), style="dim"),
        ]

    def _show_empty(self) -> None:
        empty = self.table.row_count == 0
        notice = self.query_one("#empty", Static)
        notice.display = empty
        if empty and self._filter:
            notice.update(f"No run matches '{self._filter}'. esc clears the filter.")
        elif empty:
            notice.update(EMPTY)
        self.table.display = not empty or bool(self._filter)

    @on(DataTable.RowHighlighted, "#runs")
    def _near_end(self, event: DataTable.RowHighlighted) -> None:
        if not self._exhausted and event.cursor_row >= self.table.row_count - 10:
            self.load_more(PAGE)

    @on(DataTable.RowSelected, "#runs")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_run()

    # -- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("open_run", "archive"):
            return self.selected_run is not None
        if action == "resume":
            return self._last is not None
        if action == "clear_filter":
            return bool(self._filter) or self.query_one("#filter", Input).display
        return True

    def action_new_run(self) -> None:
        self.wapp.open_new_run()

    def action_resume(self) -> None:
        if self._last is not None:
            self.wapp.open_run(self._last)

    def action_open_run(self) -> None:
        run_id = self.selected_run
        if run_id is not None:
            self.wapp.open_run(run_id)

    def action_archive(self) -> None:
        run_id = self.selected_run
        if run_id is None:
            return
        try:
            self.engine.archive(run_id)
        except WriteItError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        table = self.table
        row = table.cursor_row
        table.remove_row(run_id)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))
        self._show_empty()
        self.refresh_bindings()
        self.notify(
            f"Archived run {short_id(run_id)}. Its history is kept: `writeit list --all` shows it.",
            markup=False,
        )

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()
        self.refresh_bindings()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.display = False
        self.table.display = True
        self.table.focus()
        if self._filter:
            self._filter = ""
            self.reload()
        self.refresh_bindings()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._filter = event.value.strip()
        self.reload()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.table.focus()
