"""What each event changes in the derived keys, computed inside the event's write transaction.

Schema 3 keeps each text once (see `codec`): `run:` is a light snapshot (the run and its steps'
statuses, no texts), `step:` holds one step with its texts as refs into the log or its
responses, and `response:` holds a response's own text with its prompt as a ref to the
`step_started` event. An event therefore rewrites the run's light snapshot and the one step it
is about, never every text of the run: the cost of an event does not grow with the run.
Values returned here are plain JSON; the store compresses them as it writes.
"""

from __future__ import annotations

import functools
import json
import operator
import threading
from typing import Any

from writeit.domain.errors import IllegalTransition, NotFound
from writeit.domain.events import (
    Event,
    ResponseFinished,
    ResponseTextAppended,
    RunCreated,
    StepStarted,
)
from writeit.domain.fold import apply, apply_finished, apply_text
from writeit.domain.models import AIResponse, PipelineRun, StepState
from writeit.domain.status import ResponseStatus, StepStatus
from writeit.storage import keys
from writeit.storage.codec import (
    MIN_SHARED,
    Getter,
    Ref,
    Texts,
    as_ref,
    dumps,
    event_texts,
    get_json,
    ref_of,
    unpack,
)

Writes = dict[bytes, bytes | None]  # None deletes the key

# What a light `run:` snapshot leaves out of each step (each step's `step:` key has it).
_STATUS = operator.attrgetter("status")
STEP_STATUS = b',"step_status":'  # the light snapshot's tail: step statuses, in step order
STEP_SNAPSHOT_EXCLUDE: Any = {"responses"}
STEP_TEXTS = ("prompt", "content", "feedback")  # the step fields that may be refs


class Unpacked(bytes):
    """A value the store writes as it is: a streaming response is rewritten at every flush,
    so it is compressed only once it has finished."""


def dump_run(run: PipelineRun) -> bytes:
    """The light `run:` snapshot: the run, and of its steps only their statuses (a few bytes
    each, so rewriting it costs about the same at step 400 as at step 4)."""
    body = run.model_dump_json(exclude={"steps"}).encode()
    ordered = map(run.steps.__getitem__, run.step_order)
    # Status values are plain words (nothing to escape): joined, they are their JSON array,
    # 10x faster than json.dumps item by item (the bulk of this at step 400).
    status = '","'.join(map(_STATUS, ordered)).encode()
    array = b'["' + status + b'"]' if run.step_order else b"[]"
    return b"".join((body[:-1], STEP_STATUS, array, b"}"))


def dump_step(step: StepState, known: dict[str, Ref] | None = None) -> bytes:
    """A `step:` snapshot; its texts found in `known` are stored as refs."""
    doc = step.model_dump(mode="json", exclude=STEP_SNAPSHOT_EXCLUDE)
    for name in STEP_TEXTS:
        text = doc.get(name)
        if known and isinstance(text, str) and text in known:
            doc[name] = as_ref(known[text])
    return dumps(doc)


def dump_response(r: AIResponse, prompt: Ref | None) -> bytes:
    """A `response:` snapshot: pydantic's JSON with `prompt_used` empty when `prompt` refers to
    it (`_p`) and `content` empty when it is the raw text, stripped or not (`_c`). The two
    marks come last, where `load_response` finds them without parsing the JSON twice."""
    code = (
        "raw"
        if r.content == r.raw_output
        else "strip"
        if r.content == r.raw_output.strip()
        else None
    )
    tail: dict[str, Any] = {
        "prompt_used": "" if prompt is not None else r.prompt_used,
        "content": "" if code is not None else r.content,
    }
    if prompt is not None:
        tail["_p"] = prompt
    if code is not None:
        tail["_c"] = code
    body = r.model_dump_json(exclude={"prompt_used", "content"}).encode()
    dumped = body[:-1] + b"," + dumps(tail)[1:]
    return Unpacked(dumped) if r.status is ResponseStatus.STREAMING else dumped


def load_run_snapshot(get: Getter, run_id: str, *, shared: bool = False) -> PipelineRun | None:
    """The light snapshot: each step holds its name and status only (see `load_full`).

    `shared` (derive only) reuses one light step object per name and status: the fold changes
    only the step its event is about, which derive replaces with the step loaded whole, so
    building hundreds of step objects per event is saved.
    """
    stored = get(keys.run(run_id))
    if stored is None:
        return None
    raw = unpack(stored)
    state = PipelineRun.model_validate_json(raw)
    at = raw.rfind(STEP_STATUS)
    if at >= 0:  # (schema 2 snapshots hold whole steps instead)
        statuses = json.loads(raw[at + len(STEP_STATUS) : -1])
        light = _shared_light if shared else _light
        state.steps = dict(
            zip(state.step_order, map(light, state.step_order, statuses), strict=True)
        )
    return state


def _light(name: str, status: str) -> StepState:
    return StepState(name=name, status=StepStatus(status))


_shared_light = functools.lru_cache(maxsize=4096)(_light)


class Written:
    """The light state of each run this process last wrote, by the exact `run:` bytes written.

    At step 400 of a run, parsing the light snapshot (400 step names and statuses into step
    objects) was most of what a step start or a pick cost beyond one of a 4-step run. The run's
    next event reads back the bytes written here: when they are equal, they hold exactly this
    state, which is taken (once) instead of parsed. Any other writer (another process, a
    transaction that did not commit) leaves other bytes, which are parsed as before.
    """

    SIZE = 16  # runs: a session writes a few at a time

    def __init__(self) -> None:
        self._runs: dict[str, tuple[bytes, PipelineRun]] = {}
        self._lock = threading.Lock()  # stores may be written from several threads

    def take(self, run_id: str, stored: bytes | None) -> PipelineRun | None:
        with self._lock:
            hit = self._runs.pop(run_id, None)
        return hit[1] if hit is not None and hit[0] == stored else None

    def keep(self, run_id: str, stored: bytes, state: PipelineRun) -> None:
        with self._lock:
            self._runs[run_id] = (stored, state)
            if len(self._runs) > self.SIZE:
                del self._runs[next(iter(self._runs))]


WRITTEN = Written()


def load_full(txn: Any, run_id: str) -> PipelineRun | None:
    """The whole state of a run from its snapshots, every ref resolved."""
    state = load_run_snapshot(txn.get, run_id)
    if state is None:
        return None
    texts = Texts(txn.get)
    for name in state.step_order:
        state.steps[name] = load_step(txn.get, run_id, name, texts)
    return state


def load_step(get: Getter, run_id: str, name: str, texts: Texts | None) -> StepState:
    """One step with its current responses; with `texts`, prompts are resolved, else left as
    placeholders (derive never needs a prompt it did not just receive)."""
    doc = get_json(get, keys.step(run_id, name))
    if doc is None:
        raise ValueError(f"step '{name}' has no snapshot")
    responses: dict[str, AIResponse] = {}
    for rid in doc.get("response_ids", []):
        found = load_response(get, rid, texts)
        if found is not None:
            responses[rid] = found[0]
    for field in STEP_TEXTS:
        ref = ref_of(doc.get(field))
        if ref is not None:
            doc[field] = _resolve(get, ref, texts or Texts(get), responses)
    step = StepState.model_validate(doc)
    step.responses = responses
    return step


def load_response(
    get: Getter, rid: str, texts: Texts | None
) -> tuple[AIResponse, Ref | None] | None:
    """The response and the ref of its prompt (None: stored inline). Without `texts` a
    referred prompt is left empty (derive never needs a prompt it did not just receive)."""
    stored = get(keys.response(rid))
    if stored is None:
        return None
    raw = unpack(stored)
    r = AIResponse.model_validate_json(raw)
    marks = [i for i in (raw.rfind(b',"_p":'), raw.rfind(b',"_c":')) if i >= 0]
    meta: dict[str, Any] = json.loads(b"{" + raw[min(marks) + 1 :]) if marks else {}
    prompt = meta.get("_p")
    if prompt is not None and texts is not None:
        r.prompt_used = texts.event_text(prompt)
    code = meta.get("_c")
    if code is not None:
        r.content = r.raw_output.strip() if code == "strip" else r.raw_output
    return r, prompt


def _resolve(get: Getter, ref: Ref, texts: Texts, responses: dict[str, AIResponse]) -> str:
    if ref[:1] == ["e"]:
        return texts.event_text(ref)
    if ref[:1] == ["r"] and len(ref) == 2:
        r = responses.get(ref[1])
        if r is None:
            found = load_response(get, str(ref[1]), None)
            if found is None:
                raise ValueError(f"a step refers to response {str(ref[1])[:8]}, missing")
            r = found[0]
        return r.content
    raise ValueError(f"unknown text reference {ref!r:.60}")


def derive(txn: Any, event: Event) -> Writes:
    """Validate `event` against the stored state and return every derived key it changes."""
    get: Getter = txn.get
    if isinstance(event, ResponseTextAppended | ResponseFinished):
        return _response_event(get, event)
    if isinstance(event, RunCreated):
        return _run_created(get, event)
    state = WRITTEN.take(event.run_id, get(keys.run(event.run_id)))
    if state is None:
        state = load_run_snapshot(get, event.run_id, shared=True)
    if state is None:
        raise NotFound(f"no run {event.run_id}")
    step_name = getattr(event, "step", None)
    known: dict[str, Ref] = {}
    ids_before: list[str] = []
    if step_name is not None and step_name in state.steps:
        known = _known_texts(get, event.run_id, step_name)
        state.steps[step_name] = load_step(get, event.run_id, step_name, None)
        ids_before = list(state.steps[step_name].response_ids)
    apply(state, event)
    dumped = dump_run(state)
    writes: Writes = {keys.run(event.run_id): dumped}
    if step_name is None:
        WRITTEN.keep(event.run_id, dumped, state)
        return writes
    step = state.steps[step_name]
    mine = event.model_dump(mode="json")
    known.update(event_texts(event.run_id, event.seq, mine))
    known.update(_finished_texts(step))
    writes[keys.step(event.run_id, step_name)] = dump_step(step, known)
    if step.response_ids != ids_before:  # kept exact: response events check against it
        writes[keys.step_responses(event.run_id, step_name)] = json.dumps(
            step.response_ids
        ).encode()
    if isinstance(event, StepStarted):
        marker = json.dumps(
            {"step": step_name, "pid": event.owner_pid, "started": event.owner_started}
        ).encode()
        prompt = ["e", event.run_id, event.seq, "prompt"]
        for stub in event.responses:
            rid = stub.response_id
            r = step.responses[rid]
            stored = prompt if r.prompt_used == event.prompt else None
            writes[keys.response(rid)] = dump_response(r, stored)
            writes[keys.active(event.run_id, rid)] = marker
    state.steps[step_name] = _shared_light(step_name, step.status)  # as the snapshot holds it
    WRITTEN.keep(event.run_id, dumped, state)
    return writes


def _finished_texts(step: StepState) -> dict[str, Ref]:
    """The step's finished responses' texts (a picked text refers to one); a streaming one
    would change under the ref."""
    return {
        r.content: ["r", rid]
        for rid, r in step.responses.items()
        if r.finished and len(r.content) >= MIN_SHARED
    }


def _known_texts(get: Getter, run_id: str, name: str) -> dict[str, Ref]:
    """The texts the stored step already refers to, by text: a rewrite keeps its refs."""
    doc = get_json(get, keys.step(run_id, name)) or {}
    texts = Texts(get)
    known: dict[str, Ref] = {}
    for field in STEP_TEXTS:
        ref = ref_of(doc.get(field))
        if ref is not None and ref[:1] == ["e"]:
            known[texts.event_text(ref)] = ref
    return known


def _response_event(get: Getter, event: ResponseTextAppended | ResponseFinished) -> Writes:
    found = load_response(get, event.response_id, None)
    if found is None:
        raise NotFound(f"no response {event.response_id}")
    # The fold looks the response up in the event's run and step; so must the store, or it
    # would accept an event that no replay of the log can apply.
    ids = get(keys.step_responses(event.run_id, event.step))
    if ids is None or f'"{event.response_id}"'.encode() not in bytes(ids):
        raise IllegalTransition(
            f"response {event.response_id[:8]} is not one of step '{event.step}' "
            f"of run {event.run_id[:8]}"
        )
    r, prompt = found
    if isinstance(event, ResponseTextAppended):
        apply_text(r, event)
    else:
        apply_finished(r, event)
    writes: Writes = {keys.response(event.response_id): dump_response(r, prompt)}
    if r.status is not ResponseStatus.STREAMING:
        writes[keys.active(event.run_id, event.response_id)] = None
    return writes


def _run_created(get: Getter, event: RunCreated) -> Writes:
    state = apply(None, event)
    iso = state.created_at.isoformat()
    writes: Writes = {
        keys.run(state.run_id): dump_run(state),
        keys.run_by_config(state.pipeline, iso, state.run_id): state.run_id.encode(),
        keys.recent_runs(iso, state.run_id): state.run_id.encode(),
    }
    # A branch's copied steps: their texts are in this event (and in the parent's log).
    known: dict[str, Ref] = {}
    for text, ref in event_texts(state.run_id, event.seq, event.model_dump(mode="json")):
        known.setdefault(text, ref)
    for step in state.ordered_steps():
        writes[keys.step(state.run_id, step.name)] = dump_step(step, known | _finished_texts(step))
        if step.response_ids:
            writes[keys.step_responses(state.run_id, step.name)] = json.dumps(
                step.response_ids
            ).encode()
        for rid, r in step.responses.items():
            if get(keys.response(rid)) is None:  # a branch's copy: the parent's key stays
                writes[keys.response(rid)] = dump_response(r, known.get(r.prompt_used))
    if state.parent_run_id:
        writes[keys.branch_parent(state.run_id)] = state.parent_run_id.encode()
        children = get_json(get, keys.branch_children(state.parent_run_id)) or []
        children.append(state.run_id)
        writes[keys.branch_children(state.parent_run_id)] = json.dumps(children).encode()
    return writes
