"""Events: the only thing ever written about a run. A run's state is a fold over them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, NotRequired, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from typing_extensions import TypedDict  # pydantic takes typing's TypedDict only from 3.12

from writeit.domain.models import StepState, TokenUsage
from writeit.domain.provenance import ParagraphSource
from writeit.domain.status import ResponseStatus, RunStatus

# Schemas are built on first use, not on import: building the events' validators was about a
# fifth of the TUI's import time before its first frame, which never decodes an event.
_DEFERRED = ConfigDict(defer_build=True)


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    run_id: str
    at: datetime
    seq: int = -1


class RunCreated(_Event):
    """A new run; branches carry copies of the steps before their branch point."""

    type: Literal["run_created"] = "run_created"
    pipeline: str
    pipeline_sha: str
    step_names: list[str]
    inputs: dict[str, str]
    style: str | None = None
    style_sha: str | None = None
    parent_run_id: str | None = None
    branch_point: str | None = None
    model_overrides: dict[str, list[str]] = Field(default_factory=dict)
    copied_steps: list[StepState] = Field(default_factory=list)


class RunStatusChanged(_Event):
    type: Literal["run_status_changed"] = "run_status_changed"
    status: RunStatus
    error: str | None = None


class BudgetSet(_Event):
    """The run's spending limit in USD was set, raised or lowered (None removes it)."""

    type: Literal["budget_set"] = "budget_set"
    budget_usd: float | None = Field(default=None, gt=0, allow_inf_nan=False)


class RunArchived(_Event):
    """Hides the run from the home screen (or shows it again); the log is never destroyed."""

    type: Literal["run_archived"] = "run_archived"
    archived: bool = True


class ResponseStub(BaseModel):
    model_config = ConfigDict(frozen=True)

    response_id: str
    provider: str
    model: str


class StepStarted(_Event):
    """The step's prompt was rendered and fanned out to these responses (also on regenerate).

    With `section`, one section of a section step was (re)started: only its responses change.
    """

    type: Literal["step_started"] = "step_started"
    step: str
    prompt: str
    responses: list[ResponseStub]
    owner_pid: int | None = None
    # When the owner process started (`writeit.storage.liveness`): with the pid, an identity a
    # reused pid cannot pass for, so a dead owner's responses are recovered as `interrupted`.
    owner_started: str | None = None
    section: int | None = None


class SectionPlan(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str
    notes: str = ""


class SectionsPlanned(_Event):
    """A section step starts a round: these sections (from the outline as it stands) follow."""

    type: Literal["sections_planned"] = "sections_planned"
    step: str
    sections: list[SectionPlan]
    title: str | None = None  # the outline's level-1 heading, the assembled article's title


class FeedbackGiven(_Event):
    type: Literal["feedback_given"] = "feedback_given"
    step: str
    feedback: str
    section: int | None = None  # feedback on one section of a section step


class ResponseTextAppended(_Event):
    """Text streamed since the last flush (written at least every 250 ms while streaming)."""

    type: Literal["response_text"] = "response_text"
    step: str
    response_id: str
    text: str
    first_token_s: float | None = None
    reasoning: str = ""  # reasoning streamed since the last flush (kept apart from text)


class ResponseFinished(_Event):
    type: Literal["response_finished"] = "response_finished"
    step: str
    response_id: str
    status: ResponseStatus
    text: str = ""
    reasoning: str = ""
    finish_reason: str | None = None
    error: str | None = None
    usage: TokenUsage = Field(default_factory=TokenUsage)
    time_to_first_token_s: float | None = None
    processing_time_s: float | None = None
    attempts: int = 1
    cancel_reason: str | None = None  # why a cancelled stream stopped: "writer" or "budget"


class ResponsePicked(_Event):
    """The writer picked `response_id` among `candidates`, shown in `shown_order`.

    On an item step, `item` is the chosen item of that response and `item_text` its text (what
    goes forward); `items_shown` is how many items each candidate offered, in candidate order.
    On a section step, `section` says which section the pick is for (`index` counts within it).
    """

    type: Literal["response_picked"] = "response_picked"
    step: str
    response_id: str
    index: int
    candidates: list[str]
    shown_order: list[str]
    item: int | None = None
    item_text: str | None = None
    items_shown: list[int] = Field(default_factory=list)
    section: int | None = None


class StepEdited(_Event):
    """The writer edited or merged responses into new content that goes forward; a stitch
    also says where each paragraph came from (`provenance`, one entry per paragraph)."""

    type: Literal["step_edited"] = "step_edited"
    step: str
    content: str
    sources: list[str] = Field(default_factory=list)
    provenance: list[ParagraphSource] = Field(default_factory=list)


# Every event but a text flush. `Event` and `ReplayEvent` differ only in how a flush is read.
_Structural: TypeAlias = (
    RunCreated
    | RunStatusChanged
    | RunArchived
    | BudgetSet
    | StepStarted
    | SectionsPlanned
    | FeedbackGiven
    | ResponseFinished
    | ResponsePicked
    | StepEdited
)
Event = Annotated[_Structural | ResponseTextAppended, Field(discriminator="type")]

EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event, config=_DEFERRED)
EVENT_LIST_ADAPTER: TypeAdapter[list[Event]] = TypeAdapter(list[Event], config=_DEFERRED)


class TextFlush(TypedDict):
    """A `ResponseTextAppended` as a replay reads it: the fields a fold uses, validated as the
    model's are, into a plain dict. A long log is nearly all text flushes, and building a frozen
    model for each was most of a replay (9,697 flushes: 47 ms as models, 17 ms as dicts).

    `run_id` and `at` are left unread (13 ms, not 17): the run is the key's, and a flush's time
    is no part of a run's state. `Store.events`, which history and export read, still checks
    every field of every event.
    """

    seq: NotRequired[int]
    type: Literal["response_text"]
    step: str
    response_id: str
    text: str
    first_token_s: NotRequired[float | None]
    reasoning: NotRequired[str]


ReplayEvent = Annotated[_Structural | TextFlush, Field(discriminator="type")]
REPLAY_ADAPTER: TypeAdapter[list[ReplayEvent]] = TypeAdapter(list[ReplayEvent], config=_DEFERRED)
