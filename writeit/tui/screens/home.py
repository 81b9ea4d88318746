"""Home: recent runs newest first, loaded a page at a time so 10,000 runs open instantly."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from writeit.domain.errors import WriteItError
from writeit.domain.models import PipelineRun
from writeit.engine import Archived, RunQuery, SearchHit
from writeit.tui.messages import OpenRun
from writeit.tui.screens.base import WriteItScreen
from writeit.tui.screens.leaderboard import LeaderboardScreen
from writeit.tui.screens.new_run import NewRunScreen
from writeit.tui.screens.search import SearchScreen
from writeit.tui.text import RUN_STYLE, plain, short_id, topic, when
from writeit.tui.widgets.key_bar import KeyBar

PAGE = 60  # rows loaded at a time; more load as the cursor nears the end
SCAN = 200  # run snapshots read per step of a filtered scan (the UI stays responsive between)
WATCH_S = 2.0  # how often the list checks for runs another process added
COLUMNS = ("Run", "Topic", "Pipeline", "Status", "Steps", "Created", "Branched from")
EMPTY = (
    "No runs yet.\n\n"
    "Press n to start one: choose a pipeline (tech-article: angles > outline > draft > "
    "polish), give it a topic, and watch several models write side by side. Press 1, 2… to "
    "pick the response you like at each step; the next step starts from your pick.\n\n"
    "From a shell: writeit new tech-article --input topic='Your topic'"
)


class HomeScreen(WriteItScreen[None]):
    """The list of runs; the app's bottom screen, so escape elsewhere always leads back here."""

    TITLE = "Recent runs"
    HELP = (
        "Your runs, newest first. Archived runs are hidden (their history is kept); a lists them."
    )
    AUTO_FOCUS = "#runs"  # never the hidden filter box: typed keys must reach the list
    BINDINGS = [
        Binding("n", "new_run", "New run", id="new_run"),
        Binding("r", "resume", "Resume", id="resume", tooltip="Open the run you were on last"),
        Binding("enter", "open_run", "Open", id="open_run"),
        Binding("d", "archive", "Archive", id="archive", tooltip="Archive the run (log kept)"),
        Binding(
            "u", "unarchive", "Unarchive", id="unarchive", tooltip="Show an archived run again"
        ),
        Binding(
            "a",
            "toggle_archived",
            "Archived",
            id="toggle_archived",
            tooltip="List archived runs instead (and back)",
        ),
        Binding("slash", "filter", "Filter", key_display="/", id="filter"),
        Binding(
            "L",
            "leaderboard",
            "Leaderboard",
            id="leaderboard",
            tooltip="Models ranked by your picks (position bias shown)",
        ),
        Binding(
            "s",
            "search",
            "Search",
            id="search",
            tooltip="Search every run's topics, responses, edits and feedback",
        ),
        Binding("escape", "clear_filter", "Clear filter", id="clear_filter"),
        Binding("q", "app.quit", "Quit", id="quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._query = RunQuery(limit=PAGE, scan_limit=SCAN)
        self._exhausted = False
        self._last: str | None = None
        self._newest: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="home"):
            yield Static(id="offline-notice", classes="notice")
            yield Static(id="catalog-notice", classes="notice")
            yield Static(id="resume", classes="resume")
            yield Input(placeholder="filter by topic, pipeline, status or id", id="filter")
            yield DataTable(id="runs", cursor_type="row", zebra_stripes=True)
            yield Static(EMPTY, id="empty", classes="empty-state", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.table
        for column in COLUMNS:
            table.add_column(column, key=column)
        table.focus()
        self._show_models()
        self.query_one("#catalog-notice").display = False
        self._check_catalog()
        self.set_interval(WATCH_S, self._check_for_new_runs)

    def _show_models(self) -> None:
        """Say plainly which models a new run uses, and why when they are the offline ones."""
        notice = self.query_one("#offline-notice", Static)
        models = ", ".join(self.engine.default_models())
        if self.engine.offline_only and all(
            m.startswith("offline:") for m in self.engine.default_models()
        ):
            notice.update(
                Text.assemble(
                    ("Offline models: ", "bold"),
                    f"no API key is set, so new runs use the built-in {models}. "
                    "Set OPENAI_API_KEY or ANTHROPIC_API_KEY to use real models.",
                )
            )
        else:
            notice.update(Text.assemble(("New runs use: ", "bold"), plain(models)))

    @work(thread=True, group="catalog", exit_on_error=False)
    def _check_catalog(self) -> None:
        """A broken pipeline or style of the writer's is named here, never silently dropped.

        Off the UI thread: parsing every YAML file took about a tenth of the time to the
        first frame, which need not wait for it.
        """
        problems = self.engine.pipelines().problems + self.engine.styles().problems
        if problems:
            self.app.call_from_thread(self._show_catalog_problems, problems)

    def _show_catalog_problems(self, problems: list[str]) -> None:
        for notice in self.query("#catalog-notice").results(Static):
            notice.display = True
            notice.update(
                plain(
                    "Skipped broken files (fix them, or run writeit validate):\n"
                    + "\n".join(problems)
                )
            )

    def on_screen_resume(self) -> None:
        if not self.query_one("#filter", Input).display:
            self.table.focus()
        self.reload()
        self._last = self.engine.last_session_run()
        box = self.query_one("#resume", Static)
        box.display = self._last is not None
        run: PipelineRun | None = None
        if self._last is not None:
            try:
                run = self.engine.load(self._last)
            except WriteItError:  # damaged since (see writeit doctor): no offer, no traceback
                self._last = None
                box.display = False
        if run is not None:
            box.update(
                Text.assemble(
                    ("r", "bold"),
                    " resumes where you left off: ",
                    plain(topic(run)[:50], "italic"),
                    plain(
                        f" ({run.pipeline}, {self.engine.state_of(run)}, "
                        f"run {short_id(run.run_id)})"
                    ),
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

    @property
    def showing_archived(self) -> bool:
        return self._query.archived is Archived.ONLY

    def reload(self, keep: str | None = None) -> None:
        """Start over from the newest run (after a change, or a new filter)."""
        keep = keep or self.selected_run
        self._newest = self._newest_id()
        self.table.clear()
        self._query = replace(self._query, offset=0)
        self._exhausted = False
        self.load_more(PAGE, keep)

    @work(exclusive=True, group="home-load")
    async def load_more(self, wanted: int, keep: str | None = None) -> None:
        """Read pages of runs until `wanted` more rows matched, yielding between scan steps."""
        table = self.table
        added = 0
        while added < wanted and not self._exhausted:
            page = self.engine.runs(replace(self._query, limit=wanted - added))
            self._query = replace(self._query, offset=page.next_offset)
            self._exhausted = page.exhausted
            for run in page.runs:
                if run.run_id not in table.rows:
                    table.add_row(*self._cells(run), key=run.run_id)
            added += len(page.runs)
            if keep is not None and keep in table.rows:
                table.move_cursor(row=table.get_row_index(keep))
                keep = None
            await asyncio.sleep(0)
        self._show_empty()
        self.refresh_bindings()

    def _newest_id(self) -> str | None:
        newest = self.engine.runs(RunQuery(limit=1, archived=Archived.ALSO)).runs
        return newest[0].run_id if newest else None

    def _check_for_new_runs(self) -> None:
        """Another process (a CLI run, a second writeit) may have added runs: show them."""
        if self._newest_id() != self._newest:
            self.reload()

    def _cells(self, run: PipelineRun) -> list[Text]:
        parent = ""
        if run.parent_run_id:
            parent = f"{short_id(run.parent_run_id)} @{run.branch_point}"
        state = self.engine.state_of(run)
        if run.archived:
            state = f"archived · {state}"
        return [
            Text(short_id(run.run_id), style="dim"),
            plain(topic(run)[:40]),
            plain(run.pipeline),
            plain(state, "bold red" if run.damaged else RUN_STYLE[run.status]),
            Text(f"{run.steps_done}/{len(run.step_order)}"),
            Text(when(run.created_at)),
            plain(parent, "dim"),
        ]

    def _show_empty(self) -> None:
        empty = self.table.row_count == 0
        notice = self.query_one("#empty", Static)
        notice.display = empty
        if empty and self._query.text:
            notice.update(f"No run matches '{self._query.text}'. esc clears the filter.")
        elif empty and self.showing_archived:
            notice.update("No archived runs. a lists the others again.")
        elif empty:
            notice.update(EMPTY)
        self.table.display = not empty or bool(self._query.text)

    @on(DataTable.RowHighlighted, "#runs")
    def _near_end(self, event: DataTable.RowHighlighted) -> None:
        if not self._exhausted and event.cursor_row >= self.table.row_count - 10:
            self.load_more(PAGE)
        self.refresh_bindings()

    @on(DataTable.RowSelected, "#runs")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_run()

    # -- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_run":
            return self.selected_run is not None
        if action == "archive":
            return self.selected_run is not None and not self.showing_archived
        if action == "unarchive":
            return self.selected_run is not None and self.showing_archived
        if action == "resume":
            return self._last is not None
        if action == "clear_filter":
            return bool(self._query.text) or self.query_one("#filter", Input).display
        return True

    def action_new_run(self) -> None:
        self.app.push_screen(NewRunScreen())

    def action_resume(self) -> None:
        if self._last is not None:
            self.post_message(OpenRun(self._last))

    def action_open_run(self) -> None:
        run_id = self.selected_run
        if run_id is not None:
            self.post_message(OpenRun(run_id))

    def action_archive(self) -> None:
        self._set_archived(True)

    def action_unarchive(self) -> None:
        self._set_archived(False)

    def _set_archived(self, archived: bool) -> None:
        run_id = self.selected_run
        if run_id is None:
            return
        try:
            if archived:
                self.engine.archive(run_id)
            else:
                self.engine.unarchive(run_id)
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
        if archived:
            message = f"Archived run {short_id(run_id)}. Its history is kept: a lists archived runs, u brings it back."
        else:
            message = f"Run {short_id(run_id)} is back in the list."
        self.notify(message, markup=False)

    def action_toggle_archived(self) -> None:
        shown = Archived.HIDE if self.showing_archived else Archived.ONLY
        self._query = replace(self._query, archived=shown)
        self.sub_title = "archived runs" if shown is Archived.ONLY else ""
        self.reload()

    def action_search(self) -> None:
        def chosen(hit: SearchHit | None) -> None:
            if hit is not None:
                self.post_message(OpenRun(hit.run_id, step=hit.step, section=hit.section))

        self.app.push_screen(SearchScreen(), chosen)

    def action_leaderboard(self) -> None:
        self.app.push_screen(LeaderboardScreen())

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
        if self._query.text:
            self._query = replace(self._query, text="")
            self.reload()
        self.refresh_bindings()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._query = replace(self._query, text=event.value.strip())
        self.reload()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.table.focus()
