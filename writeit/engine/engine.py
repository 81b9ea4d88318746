"""`Engine`: every action a writer can take on a run, as one call the TUI, CLI and tests share."""

from __future__ import annotations

import asyncio
import functools
import os
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from writeit import logs
from writeit.domain.catalog import find_pipeline, find_style
from writeit.domain.config import UserConfig, load_user_config
from writeit.domain.errors import IllegalTransition, NotFound, WriteItError
from writeit.domain.events import (
    Event,
    FeedbackGiven,
    ResponseFinished,
    ResponsePicked,
    ResponseStub,
    RunArchived,
    RunCreated,
    RunStatusChanged,
    StepEdited,
    StepStarted,
)
from writeit.domain.models import PipelineRun
from writeit.domain.pipeline import LoadedPipeline, load_pipeline
from writeit.domain.redact import secret_values
from writeit.domain.requests import ModelRequest
from writeit.domain.status import ResponseStatus, RunStatus, StepStatus
from writeit.domain.style import LoadedStyle, StylePrimer, load_style
from writeit.engine.branching import Build, branch_events, changes_the_past, plan
from writeit.engine.fanout import DeltaListener, FanOut, NoticeListener, StreamJob
from writeit.engine.inputs import check_inputs
from writeit.engine.models import parse_model_overrides, resolve_models
from writeit.engine.prompts import step_prompt
from writeit.engine.sessions import Sessions
from writeit.engine.workspace import Workspace
from writeit.providers.registry import ProviderRegistry
from writeit.storage import keys
from writeit.storage.store import Store, pid_alive, utcnow

DEFAULT_STYLE = "tech-journalist"
EventListener = Callable[[Event], None]
E = TypeVar("E", bound=Event)


@functools.lru_cache(maxsize=64)
def _parsed_pipeline(label: str, source: str) -> LoadedPipeline:
    """A stored pipeline, parsed once per run: the result is frozen and depends only on its text.

    Parsing and validating the YAML costs ~3.5 ms, and the run screen asks for the same run's
    pipeline on every step switch and chrome update (bench/README.md, render keypresses).
    """
    return load_pipeline(label, source)


class Engine:
    """Runs pipelines over one store. Create with `Engine.open(home)`; close when done."""

    def __init__(
        self,
        home: Path,
        *,
        config: UserConfig | None = None,
        environ: Mapping[str, str] | None = None,
        store: Store | None = None,
    ) -> None:
        self.workspace = Workspace(home)
        self.environ = os.environ if environ is None else environ
        self.config = config if config is not None else load_user_config(self.workspace.config_path)
        self.registry = ProviderRegistry(self.config, self.environ)
        self.store = store if store is not None else Store(self.workspace.store_path)
        self.sessions = Sessions(self.store)
        self.secrets = secret_values(
            self.environ, [p.api_key_env for p in self.config.providers.values() if p.api_key_env]
        )
        logs.configure(self.workspace.logs, self.secrets)
        self.on_event: list[EventListener] = []
        self.on_delta: list[DeltaListener] = []
        self.on_notice: list[NoticeListener] = []
        self._tasks: dict[str, set[asyncio.Task[None]]] = {}
        self._slots = asyncio.Semaphore(self.config.max_concurrent_pipelines)

    @classmethod
    def open(cls, home: Path, **kwargs: object) -> Engine:
        """Open the store and mark responses a crashed process left streaming as interrupted."""
        engine = cls(home, **kwargs)  # type: ignore[arg-type]
        engine.recover_interrupted()
        return engine

    def close(self) -> None:
        self.store.close()

    async def aclose(self) -> None:
        """Close provider HTTP pools; call from the event loop that streamed, before it ends."""
        await self.registry.aclose()

    # -- events ------------------------------------------------------------------------------

    def _append(self, event: E, blobs: Mapping[bytes, bytes] | None = None) -> E:
        stamped = self.store.append(event, blobs)
        logs.event(stamped)
        for listener in self.on_event:
            listener(stamped)
        return stamped

    def recover_interrupted(self) -> int:
        """Responses whose streaming process is gone become `interrupted`, keeping their text."""
        count = 0
        for run_id, step, response_id, pid in self.store.active_responses():
            if pid == os.getpid() or pid_alive(pid):
                continue
            try:
                self._append(
                    ResponseFinished(
                        run_id=run_id,
                        at=utcnow(),
                        step=step,
                        response_id=response_id,
                        status=ResponseStatus.INTERRUPTED,
                        error="interrupted: WriteIt stopped while this response streamed",
                    )
                )
                count += 1
            except IllegalTransition:
                continue  # another process recovered it first
        if count:
            self.store.sync()
        return count

    # -- reading -----------------------------------------------------------------------------

    def resolve(self, run_id_or_prefix: str) -> str:
        return self.store.resolve(run_id_or_prefix)

    def load(self, run_id: str) -> PipelineRun:
        return self.store.load_run(run_id)

    def pipeline_of(self, run: PipelineRun) -> LoadedPipeline:
        """The exact pipeline the run was started with (kept in the store)."""
        raw = self.store.get_raw(keys.config(run.pipeline, run.pipeline_sha))
        if raw is None:
            raise NotFound(f"the pipeline of run {run.run_id[:8]} is missing from the store")
        return _parsed_pipeline(f"<{run.pipeline} of run {run.run_id[:8]}>", raw.decode())

    def style_of(self, run: PipelineRun) -> StylePrimer | None:
        if not run.style or not run.style_sha:
            return None
        raw = self.store.get_raw(keys.primer(run.style, run.style_sha))
        return load_style(f"<style {run.style}>", raw.decode()).primer if raw else None

    def models_for(self, run: PipelineRun, step: str) -> list[str]:
        pipeline = self.pipeline_of(run).config
        return resolve_models(
            pipeline, step, run.model_overrides, self.config, self.registry.env_default_models()
        )

    @property
    def offline_only(self) -> bool:
        """True when no provider key is set, so runs fall back to the offline models."""
        return all(m.startswith("offline:") for m in self.registry.env_default_models())

    # -- starting ----------------------------------------------------------------------------

    def start_run(
        self,
        pipeline: str | LoadedPipeline,
        inputs: Mapping[str, str],
        *,
        style: str | None = None,
        models: list[str] | None = None,
    ) -> PipelineRun:
        """Create a run (validating inputs, style and models first); no step starts yet."""
        loaded = (
            find_pipeline(self.workspace.home, pipeline) if isinstance(pipeline, str) else pipeline
        )
        config = loaded.config
        values = check_inputs(config, inputs)
        overrides = parse_model_overrides(models or [], config.step_names)
        env_defaults = self.registry.env_default_models()
        for step in config.step_names:
            for ref in resolve_models(config, step, overrides, self.config, env_defaults):
                self.registry.check(ref)
        primer = self._style(style)
        blobs = {keys.config(config.name, loaded.sha256): loaded.source.encode()}
        if primer is not None:
            blobs[keys.primer(primer.primer.id, primer.sha256)] = primer.source.encode()
        event = RunCreated(
            run_id=str(uuid.uuid4()),
            at=utcnow(),
            pipeline=config.name,
            pipeline_sha=loaded.sha256,
            step_names=config.step_names,
            inputs=values,
            style=primer.primer.id if primer else None,
            style_sha=primer.sha256 if primer else None,
            model_overrides=overrides,
        )
        self._append(event, blobs)
        return self.load(event.run_id)

    def _style(self, style: str | None) -> LoadedStyle | None:
        wanted = style or self.config.style
        if wanted:
            return find_style(self.workspace.home, wanted)
        try:
            return find_style(self.workspace.home, DEFAULT_STYLE)
        except NotFound:
            return None

    # -- streaming ---------------------------------------------------------------------------

    async def run_step(self, run_id: str, step: str | None = None) -> PipelineRun:
        """Fan the step's prompt out to its models and stream every response to the end.

        At most `max_concurrent_pipelines` steps stream at once; others wait their turn.
        """
        async with self._slots:
            return await self._run_step(run_id, step)

    async def _run_step(self, run_id: str, step: str | None) -> PipelineRun:
        run = self.load(run_id)
        step = self._step_of(run, step)
        pipeline = self.pipeline_of(run).config
        spec = pipeline.step(step)
        refs = self.models_for(run, step)
        for ref in refs:
            self.registry.check(ref)
        prompt = step_prompt(run, pipeline, self.style_of(run), step)
        per_model = spec.responses or pipeline.defaults.responses
        stubs = [
            ResponseStub(response_id=str(uuid.uuid4()), provider=p, model=m)
            for ref in refs
            for p, m in [ref.split(":", 1)]
            for _ in range(per_model)
        ]
        self._append(
            StepStarted(
                run_id=run_id,
                at=utcnow(),
                step=step,
                prompt=prompt,
                responses=stubs,
                owner_pid=os.getpid(),
            )
        )
        jobs = [
            StreamJob(
                run_id=run_id,
                step=step,
                response_id=stub.response_id,
                request=ModelRequest(
                    provider=stub.provider,
                    model=stub.model,
                    prompt=prompt,
                    temperature=pipeline.defaults.temperature,
                    max_tokens=pipeline.defaults.max_tokens,
                    seed=i % per_model + run.steps[step].attempt * per_model,
                    step=step,
                    inputs=dict(run.inputs),
                ),
            )
            for i, stub in enumerate(stubs)
        ]
        fanout = FanOut(
            self.registry, self._append, utcnow, self.secrets, self.on_delta, self.on_notice
        )
        await fanout.run(jobs, self._tasks.setdefault(run_id, set()))
        self.store.sync()
        finished = self.load(run_id)
        logs.step_finished(finished, step)
        return finished

    def cancel(self, run_id: str) -> int:
        """Cancel every response of the run still streaming; they end `cancelled` with their text."""
        tasks = [t for t in self._tasks.get(run_id, set()) if not t.done()]
        for task in tasks:
            task.cancel()
        return len(tasks)

    def is_streaming(self, run_id: str) -> bool:
        return any(not t.done() for t in self._tasks.get(run_id, set()))

    # -- choosing ----------------------------------------------------------------------------

    def _step_of(self, run: PipelineRun, step: str | None) -> str:
        step = step or run.current_step
        if step is None or step not in run.steps:
            raise NotFound(
                f"run {run.run_id[:8]} has no step '{step}' (steps: {', '.join(run.step_order)})"
            )
        return step

    def _perform(self, run_id: str, step: str | None, build: Build) -> str:
        """Append the action `build` makes, branching first if it would change the past."""
        run = self.load(run_id)
        step = self._step_of(run, step)
        if changes_the_past(run, step) and self.is_streaming(run_id):
            raise IllegalTransition("wait for streaming to end (or cancel it) before branching")
        events = plan(run, step, build)
        for event in events:
            self._append(event)
        self.store.sync()
        return events[0].run_id if events else run_id

    def pick(
        self,
        run_id: str,
        index: int,
        *,
        step: str | None = None,
        shown_order: list[str] | None = None,
    ) -> str:
        """Pick response `index` (0-based) of the step; returns the run that holds the pick."""

        def build(run: PipelineRun, name: str) -> ResponsePicked:
            ids = run.steps[name].response_ids
            if run.steps[name].status is not StepStatus.RUNNING or not ids:
                raise IllegalTransition(f"step '{name}' has no responses to pick from yet")
            if not 0 <= index < len(ids):
                raise WriteItError(
                    f"there is no response {index + 1}; step '{name}' has {len(ids)}"
                )
            return ResponsePicked(
                run_id=run.run_id,
                at=utcnow(),
                step=name,
                response_id=ids[index],
                index=index,
                candidates=list(ids),
                shown_order=list(shown_order or ids),
            )

        return self._perform(run_id, step, build)

    def edit(
        self,
        run_id: str,
        content: str,
        *,
        step: str | None = None,
        sources: list[str] | None = None,
    ) -> str:
        """Continue with `content` (an edit or a merge of responses) instead of a pick."""
        if not content.strip():
            raise WriteItError("edited content is empty")
        return self._perform(
            run_id,
            step,
            lambda run, name: StepEdited(
                run_id=run.run_id, at=utcnow(), step=name, content=content, sources=sources or []
            ),
        )

    def revise(self, run_id: str, *, step: str | None = None, feedback: str | None = None) -> str:
        """Prepare a regeneration (branching if needed, recording feedback); returns the run id."""

        def build(run: PipelineRun, name: str) -> FeedbackGiven | None:
            if feedback is None or not feedback.strip():
                return None
            return FeedbackGiven(run_id=run.run_id, at=utcnow(), step=name, feedback=feedback)

        return self._perform(run_id, step, build)

    async def regenerate(
        self, run_id: str, *, step: str | None = None, feedback: str | None = None
    ) -> PipelineRun:
        target = self.revise(run_id, step=step, feedback=feedback)
        return await self.run_step(target, step)

    # -- branching ---------------------------------------------------------------------------

    def branch(self, run_id: str, from_step: str) -> str:
        """A new run whose parent is `run_id`, with every step before `from_step` copied."""
        run = self.load(run_id)
        self._step_of(run, from_step)
        if self.is_streaming(run_id):
            raise IllegalTransition("wait for streaming to end (or cancel it) before branching")
        events = branch_events(run, from_step, carry=False)
        for event in events:
            self._append(event)
        self.store.sync()
        return events[0].run_id

    def mark_error(self, run_id: str, message: str) -> None:
        """Record that the run cannot go on as it is (every response of a step failed)."""
        self._append(
            RunStatusChanged(run_id=run_id, at=utcnow(), status=RunStatus.ERROR, error=message)
        )

    def archive(self, run_id: str) -> None:
        """Hide a run from the home screen; its log is kept."""
        self._append(RunArchived(run_id=run_id, at=utcnow()))

    def family(self, run_id: str) -> tuple[str, dict[str, list[str]]]:
        """The root of the run's branch family and each run's children."""
        root = run_id
        while (parent := self.store.parent(root)) is not None:
            root = parent
        tree: dict[str, list[str]] = {}
        todo = [root]
        while todo:
            current = todo.pop()
            tree[current] = self.store.children(current)
            todo.extend(tree[current])
        return root, tree
