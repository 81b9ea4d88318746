"""Messages screens send the app: moving to another run is the app's job, never a screen's."""

from __future__ import annotations

from textual.message import Message


class OpenRun(Message):
    """Show `run_id` on the run screen; `why` (if any) tells the writer how they got there."""

    def __init__(
        self,
        run_id: str,
        why: str | None = None,
        *,
        stream: str | None = None,
        step: str | None = None,
        section: int | None = None,
    ) -> None:
        super().__init__()
        self.run_id = run_id
        self.why = why
        self.stream = stream  # a step to start streaming as soon as the screen shows
        self.step = step  # the step to show first (a search result's), else the current one
        self.section = section  # on that step, the section to put the cursor on
