"""`s` on the home screen: search every run's topics, inputs, responses, edits and feedback.

The index is brought up to date once, off the UI thread, as the screen opens; each keystroke
then only queries it (a few milliseconds over thousands of runs). Choosing a result dismisses
with it, and the home screen opens that run at that step.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from writeit.domain.errors import WriteItError
from writeit.engine import SearchHit, search_runs, update_search_index
from writeit.tui.screens.base import WriteItScreen
from writeit.tui.text import plain, short_id
from writeit.tui.widgets.key_bar import KeyBar

LIMIT = 50


def hit_label(hit: SearchHit) -> Text:
    """`1a2b3c4d · Topic · draft: response openai:gpt-5.4-mini` over the snippet, matches bold."""
    text = Text(short_id(hit.run_id), style="dim")
    text.append(" · ", style="dim")
    text.append_text(plain(hit.topic[:50], "bold"))
    text.append(" · ", style="dim")
    text.append_text(plain(hit.place, "magenta"))
    text.append("\n  ")
    snippet = plain(hit.snippet)
    for start, end in hit.marks:
        snippet.stylize("bold reverse", start, end)
    text.append_text(snippet)
    return text


class SearchScreen(WriteItScreen[SearchHit | None]):
    """Dismisses with the result chosen with enter, or None on escape."""

    TITLE = "Search"
    HELP = (
        "Every word must appear (word stems match: 'streams' finds 'streaming'; a trailing * "
        "matches a prefix). Best matches first; enter opens the run at that step."
    )
    AUTO_FOCUS = "#search-query"
    BINDINGS = [
        Binding("down", "results", "Results", show=False, id="search_results"),
        Binding("escape", "back", "Back", id="search_back"),
    ]
    DEFAULT_CSS = """
    SearchScreen #search-title, SearchScreen #search-status { padding: 0 1; }
    SearchScreen #search-status { color: $text-muted; }
    SearchScreen #search-hits { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.ready = False  # the index has caught up with every run's log
        self.hits: list[SearchHit] = []
        self.skipped = 0

    def compose(self) -> ComposeResult:
        yield Static(
            Text.assemble(
                ("Search every run", "bold"),
                ("  type words · ↓ results · enter opens the run at that step · esc back", "dim"),
            ),
            id="search-title",
        )
        yield Input(placeholder="words in a topic, response, edit or feedback", id="search-query")
        yield Static("Indexing runs…", id="search-status")
        yield OptionList(id="search-hits")
        yield KeyBar()

    def on_mount(self) -> None:
        self.catch_up()

    @work(thread=True, exclusive=True, group="search-index", exit_on_error=False)
    def catch_up(self) -> None:
        """Index what changed since the last search, off the UI thread (first time: every run)."""
        try:
            result = update_search_index(self.engine)
        except WriteItError as exc:
            self.app.call_from_thread(self._status, f"Search is unavailable: {exc}")
            return
        self.app.call_from_thread(self._caught_up, len(result.skipped))

    def _caught_up(self, skipped: int) -> None:
        self.ready = True
        self.skipped = skipped
        self.run_query(self.query_one("#search-query", Input).value)

    def _status(self, text: str) -> None:
        self.query_one("#search-status", Static).update(plain(text))

    @on(Input.Changed, "#search-query")
    def _typed(self, event: Input.Changed) -> None:
        if self.ready:
            self.run_query(event.value)

    def run_query(self, query: str) -> None:
        hits = self.query_one("#search-hits", OptionList)
        hits.clear_options()
        self.hits = []
        damaged = (
            f" · {self.skipped} damaged runs skipped (see writeit doctor)" if self.skipped else ""
        )
        if not query.strip():
            self._status("Type a word to search every run." + damaged)
            return
        try:
            self.hits = search_runs(self.engine, query, limit=LIMIT, catch_up=False).hits
        except WriteItError as exc:
            self._status(str(exc))
            return
        hits.add_options([Option(hit_label(h)) for h in self.hits])
        count = len(self.hits)
        found = f"{count}{'+' if count == LIMIT else ''} matches" if count else "No matches"
        self._status(found + damaged)

    @on(Input.Submitted, "#search-query")
    def _submitted(self) -> None:
        if self.hits:
            self.action_results()

    def action_results(self) -> None:
        hits = self.query_one("#search-hits", OptionList)
        if hits.option_count:
            hits.focus()
            if hits.highlighted is None:
                hits.highlighted = 0

    @on(OptionList.OptionSelected, "#search-hits")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.hits[event.option_index])

    def action_back(self) -> None:
        self.dismiss(None)
