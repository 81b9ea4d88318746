"""TUI sessions (`session:{id}`): which run the writer was on, so `writeit` can offer to resume."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from writeit.storage import keys
from writeit.storage.store import Store


class Sessions:
    def __init__(self, store: Store, now: Callable[[], datetime]) -> None:
        self.store = store
        self.now = now

    def remember(self, session_id: str, run_id: str) -> None:
        """Record the run a session is on, with the time of this activity."""
        value = json.dumps({"run_id": run_id, "last_activity": self.now().isoformat()})
        self.store.put_meta(keys.session(session_id), value.encode())

    def last_run(self) -> str | None:
        """The run the writer was on most recently, in any session, if it still exists."""
        latest: tuple[str, str] | None = None
        for key in self.store.keys_with_prefix(keys.SESSION_PREFIX):
            raw = self.store.get_raw(key)
            if raw is None:
                continue
            data = json.loads(raw)
            if latest is None or data["last_activity"] > latest[0]:
                latest = (data["last_activity"], data["run_id"])
        if latest is None or self.store.get_raw(keys.run(latest[1])) is None:
            return None
        return latest[1]
