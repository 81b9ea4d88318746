"""The LMDB event store: one write transaction per event with every derived key it changes."""

from __future__ import annotations

import contextlib
import gc
import json
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import lmdb

from writeit.domain.errors import IllegalTransition, NotFound, WriteItError
from writeit.domain.events import (
    EVENT_ADAPTER,
    EVENT_LIST_ADAPTER,
    REPLAY_ADAPTER,
    Event,
    ReplayEvent,
    RunCreated,
)
from writeit.domain.fold import fold
from writeit.domain.models import PipelineRun
from writeit.domain.status import RunStatus
from writeit.storage import keys
from writeit.storage.codec import pack, put_derived, unpack
from writeit.storage.datafile import check_data_file
from writeit.storage.derive import derive, load_full, load_run_snapshot
from writeit.storage.liveness import Owner
from writeit.storage.migrations import migrate
from writeit.storage.scan import last_key, scan, scan_counted, scan_reverse, scan_values

INITIAL_MAP_SIZE = 64 * 1024 * 1024
SYNC_INTERVAL_S = 1.0
REPLAY_CHUNK = 250  # events validated and folded at a time (see `fold_raw`)
MIN_PREFIX = 6

E = TypeVar("E", bound=Event)
T = TypeVar("T")
# Decides, from a run's state as a write transaction sees it and the owners of its streaming
# responses, which events to append (raising, and so writing nothing, to refuse).
Decide = Callable[[PipelineRun, Mapping[str, Owner]], Sequence[Event]]


class StoreError(WriteItError):
    """The store cannot be opened or used (wrong schema, unwritable directory...)."""


class DamagedRun(StoreError):
    """A run's stored bytes (an event or a snapshot) cannot be read: one line, never a traceback.

    Only that run is affected; `writeit doctor` says what is wrong and `--repair` rebuilds
    snapshots from the log. `detail` is the problem alone (doctor's line), without the hint.
    """

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail or message


class Store:
    """An LMDB environment under `$WRITEIT_HOME/writeit.lmdb`.

    Durability: commits skip fsync (`sync=False`), and the environment is synced at least every
    second while writing and at every step boundary (`sync()`), so a killed process loses
    nothing and a power cut at most the last second. Safe for several processes at once:
    every read and write goes through LMDB transactions, never a process-level cache.
    """

    def __init__(self, path: Path, map_size: int = INITIAL_MAP_SIZE, *, readonly: bool = False):
        self.path = path
        damage = check_data_file(path)  # before LMDB maps it: a short file would be SIGBUS
        if damage is not None:
            raise StoreError(f"cannot open the store: {damage}")
        try:
            path.mkdir(parents=True, exist_ok=True)
            self.env = lmdb.open(
                str(path),
                map_size=map_size,
                sync=False,
                metasync=False,
                readahead=False,
                max_readers=256,
                readonly=readonly,
            )
        except (OSError, lmdb.Error) as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}") from None
        with contextlib.suppress(lmdb.Error):
            # A killed process leaves its reader slot, pinning old pages: the store then grows
            # instead of reusing them (6x over 30 runs). Clearing dead slots is LMDB's own check.
            self.env.reader_check()
        self._last_sync = time.monotonic()
        if not readonly:
            try:
                self._write(lambda txn: migrate(txn))
            except WriteItError:
                self.env.close()
                raise

    # -- writing -------------------------------------------------------------------------

    def append(self, event: E, blobs: Mapping[bytes, bytes] | None = None) -> E:
        """Append `event` with the next seq of its run; derived keys change in the same txn.

        `blobs` are content-addressed keys (`config:`, `primer:`) written only if absent.
        Raises (and writes nothing) when the event is illegal for the stored state.
        """

        stamped = self._write(lambda txn: self._append_in(txn, event, blobs))
        self._sync_if_due()
        return stamped

    def append_planned(self, run_id: str, decide: Decide) -> list[Event]:
        """Append what `decide` makes of the run's state, decided inside the write transaction
        that appends it: no event of another process can come between what was read and what
        is written (a branch copies exactly what its parent holds as it is created).

        `decide` gets the state and the owners of the run's streaming responses; it refuses by
        raising, and then nothing is written. Its events are appended in order, in this
        transaction, each with its derived keys; they may be for another run (a new branch).
        """

        def body(txn: Any) -> list[Event]:
            events = decide(self._state(txn, run_id), _owners(txn, run_id))
            return [self._append_in(txn, e, None) for e in events]

        stamped = self._write(body)
        self._sync_if_due()
        return stamped

    @classmethod
    def _append_in(cls, txn: Any, event: E, blobs: Mapping[bytes, bytes] | None) -> E:
        seq = cls._next_seq(txn, event.run_id)
        if isinstance(event, RunCreated) and (seq != 0 or txn.get(keys.run(event.run_id))):
            raise IllegalTransition(f"run {event.run_id} already exists")
        stamped = cast(E, event.model_copy(update={"seq": seq}))
        writes = derive(txn, stamped)
        txn.put(keys.event(event.run_id, seq), pack(stamped.model_dump_json().encode()))
        put_derived(txn, writes)
        for key, value in (blobs or {}).items():
            txn.put(key, value, overwrite=False)
        return stamped

    def _sync_if_due(self) -> None:
        if time.monotonic() - self._last_sync >= SYNC_INTERVAL_S:
            self.sync()

    def put_meta(self, key: bytes, value: bytes | None) -> None:
        """Write one non-event key (session bookkeeping)."""
        self._write(lambda txn: txn.put(key, value) if value is not None else txn.delete(key))

    def sync(self) -> None:
        """Flush committed transactions to disk (step boundaries, and every second)."""
        self.env.sync(True)
        self._last_sync = time.monotonic()

    def _write(self, body: Callable[[Any], T]) -> T:
        while True:
            try:
                with self.env.begin(write=True) as txn:
                    return body(txn)
            except lmdb.MapFullError:
                self._grow()
            except lmdb.MapResizedError:
                self.env.set_mapsize(0)
            except lmdb.Error as exc:  # disk full, I/O error, read-only file system...
                raise StoreError(f"cannot write to the store at {self.path}: {exc}") from None

    def _grow(self) -> None:
        size = self.env.info()["map_size"]
        self.env.set_mapsize(size * 2)

    @staticmethod
    def _next_seq(txn: Any, run_id: str) -> int:
        prefix = keys.event_prefix(run_id)
        key = last_key(txn, prefix)
        return int(key[len(prefix) :]) + 1 if key is not None else 0

    # -- reading -------------------------------------------------------------------------

    def _read(self, body: Callable[[Any], T]) -> T:
        while True:
            try:
                with self.env.begin() as txn:
                    return body(txn)
            except lmdb.MapResizedError:
                self.env.set_mapsize(0)

    def load_run(self, run_id: str) -> PipelineRun:
        """The latest state of a run, from its snapshots (no replay)."""

        result: PipelineRun = self._read(lambda txn: self._state(txn, run_id))
        return result

    @classmethod
    def _state(cls, txn: Any, run_id: str) -> PipelineRun:
        """The run's state from its snapshots, as `txn` sees them."""
        try:
            state = load_full(txn, run_id)
            if state is None:
                raise NotFound(f"no run {run_id}")
        except (ValueError, KeyError, TypeError) as exc:  # pydantic, bad JSON or UTF-8, refs
            raise DamagedRun(
                f"run {run_id[:8]}: a stored snapshot is damaged ({_first_line(exc)}); "
                "`writeit doctor --repair` rebuilds it from the log"
            ) from None
        state.last_seq = cls._next_seq(txn, run_id) - 1
        return state

    def get_raw(self, key: bytes) -> bytes | None:
        def body(txn: Any) -> bytes | None:
            raw = txn.get(key)
            return bytes(raw) if raw is not None else None

        return self._read(body)

    def events(self, run_id: str, upto: int | None = None) -> list[Event]:
        """A run's events in order (through seq `upto` when given), read with one cursor scan."""
        raws = self._raw_events(run_id, upto)
        if not raws:
            return []
        first, last = raws[0], raws[-1]
        raws[0] = b"[" + raws[0]  # bracket in place: the 3 MB array of 10k events is copied once
        raws[-1] += b"]"
        try:
            with _no_gc():
                return EVENT_LIST_ADAPTER.validate_json(b",".join(raws))
        except ValueError:
            raws[0], raws[-1] = first, last
            raise _damaged_event(run_id, raws) from None

    def _raw_events(self, run_id: str, upto: int | None) -> list[bytes]:
        prefix = keys.event_prefix(run_id)
        limit = None if upto is None else upto + 1

        def body(txn: Any) -> list[bytes]:
            count = self._next_seq(txn, run_id)  # (seqs are dense: the count of events)
            if limit is not None:
                count = min(count, limit)
            return scan_counted(txn, prefix, count) or scan_values(txn, prefix, limit)

        return unpack_all(self._read(body))

    def replay(self, run_id: str) -> PipelineRun:
        """The state of a run rebuilt from its whole log (what snapshots must agree with)."""
        return self.state_at(run_id, None)

    def state_at(self, run_id: str, n: int | None) -> PipelineRun:
        """The state of a run just after event `n` (time travel); None means the last event.

        Folded by `fold_raw`, the replay `writeit doctor` compares snapshots with.
        """
        if n is not None and n < 0:
            raise WriteItError("--at must be 0 or more")
        raws = self._raw_events(run_id, n)
        if not raws:
            raise NotFound(f"no run {run_id}")
        if n is not None and len(raws) <= n:
            raise WriteItError(f"run {run_id[:8]} has only {len(raws)} events (0..{len(raws) - 1})")
        return fold_raw(run_id, raws)

    def event(self, run_id: str, seq: int) -> Event | None:
        raw = self.get_raw(keys.event(run_id, seq))
        if raw is None:
            return None
        raw = unpack(raw)
        try:
            return EVENT_ADAPTER.validate_json(raw)
        except ValueError:
            raise _damaged_event(run_id, [raw], seq) from None

    def recent_run_ids(self, limit: int | None = None, pipeline: str | None = None) -> list[str]:
        """Run ids newest first, by a reverse scan of `recent_runs:` (or `run_by_config:`)."""
        prefix = (
            keys.pipeline_runs_prefix(pipeline) if pipeline is not None else keys.RECENT_RUNS_PREFIX
        )

        return self._read(lambda txn: [v.decode() for _, v in scan_reverse(txn, prefix, limit)])

    def run_snapshots(self, run_ids: list[str]) -> list[PipelineRun]:
        """Light run snapshots (steps without response bodies) for lists and trees.

        A run whose snapshot cannot be read, or that `writeit doctor` found damaged, comes back
        as a placeholder marked `damaged`: one bad record never hides the other runs.
        """

        def body(txn: Any) -> list[PipelineRun]:
            return [s for rid in run_ids if (s := _light_snapshot(txn, rid)) is not None]

        result: list[PipelineRun] = self._read(body)
        return result

    def children(self, run_id: str) -> list[str]:
        raw = self.get_raw(keys.branch_children(run_id))
        return list(json.loads(raw)) if raw else []

    def parent(self, run_id: str) -> str | None:
        raw = self.get_raw(keys.branch_parent(run_id))
        return raw.decode() if raw else None

    def resolve(self, prefix: str) -> str:
        """The run id starting with `prefix` (at least 6 characters, unique)."""
        prefix = prefix.strip()
        if len(prefix) < MIN_PREFIX:
            raise WriteItError(
                f"run id '{prefix}' is too short: give at least {MIN_PREFIX} characters"
            )
        start = keys.run_id_prefix(prefix)

        found = self._read(lambda txn: [k[4:].decode() for k, _ in scan(txn, start, 2)])
        if not found:
            raise NotFound(f"no run matches '{prefix}'")
        if len(found) > 1:
            raise WriteItError(f"run id '{prefix}' is ambiguous: give more characters")
        return found[0]

    def active_responses(self) -> list[tuple[str, str, str, Owner]]:
        """(run_id, step, response_id, owner) of every response recorded as streaming."""

        out = []
        for key, value in self._read(lambda txn: list(scan(txn, keys.ACTIVE_PREFIX))):
            _, run_id, rid = key.decode().split(":", 2)
            marker = json.loads(value)
            out.append((run_id, marker["step"], rid, _owner(marker)))
        return out

    def read(self, body: Callable[[Any], T]) -> T:
        """Run `body` in one read transaction (diagnostics: `writeit doctor` checks)."""
        return self._read(body)

    def write(self, body: Callable[[Any], T]) -> T:
        """Run `body` in one write transaction (`writeit doctor --repair`: derived keys only)."""
        return self._write(body)

    def keys_with_prefix(self, prefix: bytes) -> Iterator[bytes]:
        """Every key under `prefix` (diagnostics and tests)."""

        return iter(self._read(lambda txn: [k for k, _ in scan(txn, prefix)]))

    def close(self) -> None:
        with contextlib.suppress(lmdb.Error):
            self.env.sync(True)
        self.env.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def fold_raw(run_id: str, raws: list[bytes]) -> PipelineRun:
    """Validate and fold a run's raw events (in seq order) into its state: the one replay.

    The log is validated and folded `REPLAY_CHUNK` events at a time: each chunk's objects
    are freed before the next is made, so a 10,000-event replay touches ~30 MB less fresh
    memory (page faults dominated a cold replay) and runs in ~60% of the time. An event that
    cannot be read raises `DamagedRun` naming it.
    """

    def decoded() -> Iterator[ReplayEvent]:
        for start in range(0, len(raws), REPLAY_CHUNK):
            chunk = raws[start : start + REPLAY_CHUNK]
            try:
                yield from REPLAY_ADAPTER.validate_json(b"[" + b",".join(chunk) + b"]")
            except ValueError:
                raise _damaged_event(run_id, chunk, start) from None

    with _no_gc():
        state = fold(decoded())
    if state is None:
        raise NotFound(f"no run {run_id}")
    return state


def _damaged_event(run_id: str, raws: list[bytes], first_seq: int = 0) -> DamagedRun:
    """Name the first event of `raws` that does not validate (the slow path, only on damage)."""
    for offset, raw in enumerate(raws):
        try:
            EVENT_ADAPTER.validate_json(raw)
        except ValueError as exc:
            detail = f"event {first_seq + offset} is damaged ({_first_line(exc)})"
            return DamagedRun(
                f"run {run_id[:8]}: {detail}; its log cannot be replayed (see `writeit doctor`)",
                detail,
            )
    return DamagedRun(f"run {run_id[:8]}: its events cannot be read together")


def _first_line(exc: Exception) -> str:
    """A validation error's gist in one short line (pydantic's are several lines long)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        found = errors()
        if found:
            where = ".".join(str(p) for p in found[0].get("loc", ()))
            text = f"{where}: {found[0].get('msg', '')}" if where else str(found[0].get("msg"))
            return text[:120]
    return (str(exc).splitlines() or [type(exc).__name__])[0][:120]


def _light_snapshot(txn: Any, run_id: str) -> PipelineRun | None:
    """The `run:` snapshot, or a placeholder marked `damaged` if it (or its log) is damaged."""
    marker = txn.get(keys.damaged(run_id))
    try:
        run = load_run_snapshot(txn.get, run_id)
    except ValueError as exc:
        return _placeholder(txn, run_id, f"snapshot unreadable ({_first_line(exc)})")
    if marker is not None:
        reason = bytes(marker).decode("utf-8", "replace")
        return _placeholder(txn, run_id, reason, run)
    return run


def _placeholder(
    txn: Any, run_id: str, reason: str, known: PipelineRun | None = None
) -> PipelineRun:
    """A stand-in for a damaged run: what is still known of it (when, which pipeline), marked."""
    if known is not None:
        return known.model_copy(update={"damaged": reason})
    created = datetime.fromtimestamp(0, UTC)
    pipeline = "?"
    raw = txn.get(keys.event(run_id, 0))
    with contextlib.suppress(ValueError, TypeError):
        first = EVENT_ADAPTER.validate_json(unpack(raw)) if raw is not None else None
        if isinstance(first, RunCreated):
            created, pipeline = first.at, first.pipeline
    return PipelineRun(
        run_id=run_id,
        pipeline=pipeline,
        pipeline_sha="",
        created_at=created,
        status=RunStatus.ERROR,
        damaged=reason,
    )


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a replay allocates tens of thousands of objects.

    Validating 10,000 events creates ~100,000 acyclic objects; the collector's generation scans
    they trigger cost ~15% of a replay (bench/README.md) and can free nothing. Reference
    counting still frees everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def unpack_all(raws: list[bytes]) -> list[bytes]:
    """Stored event values as JSON, in one pass (replay's hot path: most are not compressed)."""
    try:
        return [zlib.decompress(r) if r[:1] == b"x" else r for r in raws]
    except zlib.error:  # a damaged value: kept as it is, so replay names it
        return [unpack(r) for r in raws]


def _owner(marker: dict[str, Any]) -> Owner:
    """The owner an `active:` marker names (markers before schema 3 hold only a pid)."""
    return Owner(marker.get("pid"), marker.get("started"))


def _owners(txn: Any, run_id: str) -> dict[str, Owner]:
    """The owner of each response of `run_id` marked streaming, by response id."""
    prefix = keys.active(run_id, "")
    return {k[len(prefix) :].decode(): _owner(json.loads(v)) for k, v in scan(txn, prefix)}


def utcnow() -> datetime:
    return datetime.now(UTC)
