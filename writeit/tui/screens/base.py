"""What every WriteIt screen shares: typed access to the app and its engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, cast

from textual.screen import Screen

if TYPE_CHECKING:
    from writeit.engine import Engine
    from writeit.tui.app import WriteItApp

R = TypeVar("R")


class WriteItScreen(Screen[R]):
    """A screen of the WriteIt app (`HELP` is shown at the top of `?`)."""

    HELP = ""

    @property
    def wapp(self) -> WriteItApp:
        return cast("WriteItApp", self.app)

    @property
    def engine(self) -> Engine:
        return self.wapp.engine
