"""The baselines of the pseudo-terminal benchmark: N panes streaming through the OpenAI SDK.

    python bench/pty_app.py naive|textual_stream PORT MODEL [MODEL...]

The same wire path as WriteIt (the `openai` SDK over HTTP from bench/sse_server.py), drawn the
two simple ways a Textual app would: `naive` calls `Markdown.update(full_text)` for every token;
`textual_stream` feeds Textual's own `MarkdownStream` (`Markdown.get_stream`). The benchmark
samples this process's CPU exactly as it samples `writeit`'s.
"""

from __future__ import annotations

import sys

from openai import AsyncOpenAI
from textual import work
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Markdown, Static


class Baseline(App[None]):
    CSS = "Markdown { width: 1fr; height: 1fr; overflow-y: auto; }"

    def __init__(self, how: str, port: int, models: list[str]) -> None:
        super().__init__()
        self.how, self.models = how, models
        self.client = AsyncOpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="bench")

    def compose(self) -> ComposeResult:
        yield Static(f"{self.how}: streaming", id="title")
        with Horizontal():
            for _ in self.models:
                yield Markdown()

    def on_mount(self) -> None:
        for pane, model in zip(self.query(Markdown), self.models, strict=True):
            self.stream(pane, model)

    @work
    async def stream(self, pane: Markdown, model: str) -> None:
        chunks = await self.client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "write"}], stream=True
        )
        text = ""
        stream = Markdown.get_stream(pane) if self.how == "textual_stream" else None
        async for chunk in chunks:
            delta = chunk.choices[0].delta.content if chunk.choices else None
            if not delta:
                continue
            if stream is not None:
                await stream.write(delta)
            else:
                text += delta
                await pane.update(text)


if __name__ == "__main__":
    Baseline(sys.argv[1], int(sys.argv[2]), sys.argv[3:]).run()
