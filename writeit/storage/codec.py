"""How values are stored (schema 3): large values compressed, and texts held once, by reference.

A run's texts live in its log: the prompt in `step_started`, streamed text in its flushes, an
edit in `step_edited`. Derived keys do not copy them again; they refer to them:

- in `step:`, `{"$ref": ["e", run_id, seq, *path]}`: the string at `path` in event `seq` of
  `run_id` (a step's prompt, an edit), and `{"$ref": ["r", response_id]}`: the content of that
  response (a step's picked text). Refs are whole values of top-level fields, so `{"$ref": ...}`
  can never be mistaken for data there.
- in `response:`, `_p` (the same event ref, for `prompt_used`) and `_c` (`raw`/`strip`: the
  content is the response's own `raw_output`, stripped once finished), see
  `derive.dump_response`.

A value without refs (what schema 2 wrote) is read the same way.

Values of at least `COMPRESS_MIN` bytes are stored zlib-compressed (stdlib; LMDB stores a value
past ~2 KB on whole overflow pages, so compression also saves the rounding). A compressed value
starts with zlib's 0x78 byte, a JSON one with `{` or `[`: no flag is needed.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from writeit.storage import keys

COMPRESS_MIN = 512
LEVEL = 1
REF = "$ref"
MIN_SHARED = 64  # shorter texts are stored where they are used: a ref would not be smaller
Ref = list[Any]
Getter = Callable[[bytes], Any]  # txn.get, or an overlay's


# The families stored through `pack` (`run:` is small, and rewritten by most events: not it).
PACKED = (b"event:", b"step:", b"response:")


def pack(raw: bytes) -> bytes:
    if len(raw) < COMPRESS_MIN:
        return raw
    packed = zlib.compress(raw, LEVEL)
    return packed if len(packed) < len(raw) else raw


def unpack(stored: bytes | memoryview) -> bytes:
    """The JSON bytes of a stored value. A damaged compressed value comes back as it is, so
    reading it fails as JSON, naming the key, like any other damaged value."""
    value = bytes(stored)
    if value[:1] != b"x":
        return value
    try:
        return zlib.decompress(value)
    except zlib.error:
        return value


def get_json(get: Getter, key: bytes) -> Any:
    """The decoded value at `key`, or None when absent (ValueError when it cannot be read)."""
    raw = get(key)
    return None if raw is None else json.loads(unpack(raw))


def ref_of(value: Any) -> Ref | None:
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get(REF), list):
        return list(value[REF])
    return None


def as_ref(ref: Ref) -> dict[str, Ref]:
    return {REF: ref}


def dumps(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


class Texts:
    """Resolves event refs against one transaction, reading each event once."""

    def __init__(self, get: Getter) -> None:
        self.get = get
        self._events: dict[tuple[str, int], Any] = {}

    def event_text(self, ref: Ref) -> str:
        run_id, seq, *path = ref[1:]
        doc = self._events.get((run_id, seq))
        if doc is None:
            doc = get_json(self.get, keys.event(run_id, int(seq)))
            if doc is None:
                raise ValueError(f"a text refers to event {seq} of run {str(run_id)[:8]}, missing")
            self._events[(run_id, seq)] = doc
        try:
            for part in path:
                doc = doc[part]
        except (KeyError, IndexError, TypeError):
            doc = None
        if not isinstance(doc, str):
            raise ValueError(f"a text refers to event {seq} of run {str(run_id)[:8]}: not a text")
        return doc


def event_texts(run_id: str, seq: int, event: Any) -> Iterator[tuple[str, Ref]]:
    """Every text of at least `MIN_SHARED` characters in an event's JSON, with its ref."""

    def walk(doc: Any, path: list[Any]) -> Iterator[tuple[str, Ref]]:
        if isinstance(doc, str):
            if len(doc) >= MIN_SHARED:
                yield doc, ["e", run_id, seq, *path]
        elif isinstance(doc, dict):
            for k, v in doc.items():
                yield from walk(v, [*path, k])
        elif isinstance(doc, list):
            for i, v in enumerate(doc):
                yield from walk(v, [*path, i])

    yield from walk(event, [])


def put_derived(txn: Any, writes: Mapping[bytes, bytes | None]) -> None:
    """Write derived keys as `derive` returns them (None deletes; snapshots are packed)."""
    for key, value in writes.items():
        if value is None:
            txn.delete(key)
        else:
            packed = key.startswith(PACKED) and type(value) is bytes  # see derive.Unpacked
            txn.put(key, pack(value) if packed else value)
