"""Where each paragraph of a stitched edit came from (kept in the edit event and the export)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ParagraphSource(BaseModel):
    """One paragraph of edited content: the response and paragraph it was taken from (None for
    text the writer wrote), the model that wrote it, and whether the writer changed it."""

    model_config = ConfigDict(frozen=True)

    response_id: str | None = None
    model: str | None = None  # provider:model
    paragraph: int | None = None  # 0-based index among the source response's paragraphs
    edited: bool = False

    def describe(self) -> str:
        """`offline:writer ¶2` (`, edited`), or `written by you`."""
        if self.response_id is None:
            return "written by you"
        where = f"{self.model or self.response_id[:8]} ¶{(self.paragraph or 0) + 1}"
        return f"{where}, edited" if self.edited else where
