"""Work-arounds for three Textual 8.2 leaks that a long session hits (issue 16 item 4).

Measured with bench/session_bench.py (40 runs in one session): RssAnon rose about 4.5 MB a run
for the first 15 runs, then plateaued, and two text areas a run were never freed.

- `StylesCache.get_inner_outer` is an instance method under `functools.lru_cache(1024)` (it was
  meant to be a class method: its first parameter is `cls`). The cache keys on `self`, so it
  keeps up to 1024 widgets' style caches alive after their widgets are gone, each with every
  rendered line of its widget (Textualize/textual#6665). `release_style_caches` makes it the
  class method it was meant to be: the cache then holds colours only.
- `TextArea` watches `app.theme` when mounted, and Textual drops a closed widget's watcher only
  when the theme next changes: every edit box and multi-line form field of a session stayed
  alive with its document and line cache. `TextBox` lets go as it unmounts.
- A message remembers its sender (the message pump active when it was made), and a widget's
  message loop keeps the last message it handled until the next one arrives. An idle widget
  (a scrollbar corner of the home table) that last handled a message sent from a run screen's
  context kept that closed screen, with every pane, alive for the rest of the session.
  `hold_senders_weakly` makes `Message._sender` a weak reference: a sender alive reads as before.
"""

from __future__ import annotations

import functools
import weakref
from types import MemberDescriptorType
from typing import Any

from textual._styles_cache import StylesCache
from textual.message import Message
from textual.message_pump import MessagePump
from textual.widgets import TextArea


def release_style_caches() -> None:
    """Key Textual's inner/outer background cache on colours alone (idempotent; a no-op once
    Textual itself makes it a class method)."""
    method = StylesCache.__dict__["get_inner_outer"]
    if isinstance(method, classmethod):
        return
    # the undecorated function: it builds two styles from its colour arguments, never using `cls`
    cached: Any = functools.lru_cache(1024)(method.__wrapped__)
    StylesCache.get_inner_outer = classmethod(cached)  # type: ignore[method-assign,assignment]


def hold_senders_weakly() -> None:
    """Store every message's sender as a weak reference (idempotent)."""
    slot = Message.__dict__["_sender"]
    if not isinstance(slot, MemberDescriptorType):
        return

    def sender(message: Message) -> MessagePump | None:
        ref: weakref.ref[MessagePump] | None = slot.__get__(message, Message)
        return None if ref is None else ref()

    def set_sender(message: Message, pump: MessagePump | None) -> None:
        slot.__set__(message, None if pump is None else weakref.ref(pump))

    Message._sender = property(sender, set_sender)  # type: ignore[assignment,misc]


class TextBox(TextArea):
    """A TextArea that does not outlive its screen (see the module's docstring)."""

    def on_unmount(self) -> None:
        # Textual keeps `watch()` registrations in this attribute and offers no way to undo one
        watchers: dict[str, list[tuple[Any, Any]]] = getattr(self.app, "__watchers", {})
        for entries in watchers.values():
            entries[:] = [entry for entry in entries if entry[0] is not self]
