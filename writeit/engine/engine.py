"""`Engine`: the one API of WriteIt. The TUI, the CLI, the tests and the benchmarks use only this.

Queries read runs, pages, history, families and catalogs; commands append events. Every command a
writer can refuse themselves (pick, edit, feedback, regenerate, branch) is first checked against
the domain's rulebook, the same answer the TUI's keys read, so a face can never offer what the
engine would refuse. Changes reach faces through `subscribe`, never through shared lists.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from writeit import logs
from writeit.domain import catalog
from writeit.domain.budget import BUDGET, BudgetState, OverBudget, budget_state, check_budget
from writeit.domain.catalog import Catalog
from writeit.domain.compare import display_order
from writeit.domain.config import UserConfig, load_user_config
from writeit.domain.errors import IllegalTransition, NotFound, WriteItError
from writeit.domain.estimate import RunEstimate, StepEstimate
from writeit.domain.events import (
    BudgetSet,
    Event,
    ResponseStub,
    RunArchived,
    RunStatusChanged,
    SectionsPlanned,
    StepStarted,
)
from writeit.domain.fold import apply
from writeit.domain.models import PipelineRun
from writeit.domain.pipeline import LoadedPipeline
from writeit.domain.provenance import ParagraphSource
from writeit.domain.redact import known_secrets, remember
from writeit.domain.rules import Action, Rules, rules, run_state
from writeit.domain.status import ResponseStatus, RunStatus, StepStatus
from writeit.domain.style import LoadedStyle, StylePrimer
from writeit.engine import choices
from writeit.engine.branching import (
    Build,
    branch_events,
    plan,
    refuse_streaming,
    streaming_owner,
)
from writeit.engine.budget import LiveSpend, spend_for
from writeit.engine.estimate import Estimator, remaining_steps
from writeit.engine.eventlog import EventListener, EventLog
from writeit.engine.exporting import export_bytes, export_text, run_shape, write_to
from writeit.engine.fanout import DeltaListener, NoticeListener, StreamJob
from writeit.engine.headless import PickStrategy
from writeit.engine.listing import DAMAGED_STATE
from writeit.engine.models import resolve_models
from writeit.engine.pages import Family, RunPage, RunQuery, family_of, scan_page
from writeit.engine.preferences import save_preference
from writeit.engine.prompts import step_prompt
from writeit.engine.requests import step_requests
from writeit.engine.sectioning import plan_event, section_round
from writeit.engine.sessions import Sessions
from writeit.engine.starting import RunPlan, prepare_run
from writeit.engine.stored import stored_blobs, stored_pipeline, stored_style
from writeit.engine.streaming import Streams
from writeit.engine.workspace import Workspace
from writeit.providers.lifecycle import ModelStatus
from writeit.providers.registry import ProviderInfo, ProviderRegistry
from writeit.storage.liveness import Owner
from writeit.storage.store import Store, utcnow

if TYPE_CHECKING:  # (doctor, leaderboard, log merging: imported by their methods, not at start-up)
    from writeit.domain.ratings import Leaderboard
    from writeit.engine.doctor import DoctorReport

Clock = Callable[[], datetime]
E = TypeVar("E", bound=Event)


class Engine:
    """Runs pipelines over one store. `Engine.open(home)`, or `with Engine.open(home) as e:`."""

    def __init__(
        self,
        home: Path,
        *,
        config: UserConfig | None = None,
        environ: Mapping[str, str] | None = None,
        store: Store | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self._workspace = Workspace(home)
        self._environ = os.environ if environ is None else environ
        self.config = (
            config if config is not None else load_user_config(self._workspace.config_path)
        )
        self._registry = ProviderRegistry(self.config, self._environ, today=lambda: clock().date())
        self._store = store if store is not None else Store(self._workspace.store_path)
        self._now = clock
        self._sessions = Sessions(self._store, clock)
        providers = self.config.providers.values()
        self._secrets = known_secrets(
            self._environ,
            [p.api_key_env for p in providers if p.api_key_env],
            [p.base_url for p in providers if p.base_url],
        )
        self._registry.on_secret = self._learn_secret
        logs.configure(self._workspace.logs, self._secrets)
        self._log = EventLog(self._store, clock)
        self._streams = Streams(
            self._log, self._registry, self._secrets, self.config.max_concurrent_pipelines
        )
        self._estimator = Estimator(self._store, self._registry)

    def _learn_secret(self, value: str) -> None:
        """A key an api_key_command printed: redacted from now on, like the environment's."""
        if remember(self._secrets, value):
            logs.configure(self._workspace.logs, self._secrets)

    @classmethod
    def open(
        cls,
        home: Path,
        *,
        config: UserConfig | None = None,
        environ: Mapping[str, str] | None = None,
        clock: Clock = utcnow,
    ) -> Engine:
        """Open the store and mark responses a crashed process left streaming as interrupted."""
        engine = cls(home, config=config, environ=environ, clock=clock)
        engine.recover_interrupted()
        return engine

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def aclose(self) -> None:
        """Close provider HTTP pools; call from the event loop that streamed, before it ends."""
        await self._registry.aclose()

    @property
    def home(self) -> Path:
        return self._workspace.home

    def subscribe(
        self,
        *,
        on_event: EventListener | None = None,
        on_delta: DeltaListener | None = None,
        on_notice: NoticeListener | None = None,
        on_reasoning: DeltaListener | None = None,
    ) -> Callable[[], None]:
        """Be told of every stored event, streamed token (text and reasoning apart) and notice;
        returns an unsubscribe.

        Listeners run synchronously in the engine's task: they must only hand work on (a face
        posts a message to its own queue), never block or call back into the engine.
        """
        return self._log.subscribe(on_event, on_delta, on_notice, on_reasoning)

    # -- events ------------------------------------------------------------------------------

    def _append(self, event: E, blobs: Mapping[bytes, bytes] | None = None) -> E:
        return self._log.append(event, blobs)

    def recover_interrupted(self) -> int:
        """Responses whose streaming process is gone become `interrupted`, keeping their text."""
        return self._log.recover_interrupted()

    # -- queries -----------------------------------------------------------------------------

    def resolve(self, run_id_or_prefix: str) -> str:
        return self._store.resolve(run_id_or_prefix)

    def load(self, run_id: str) -> PipelineRun:
        return self._store.load_run(run_id)

    def runs(self, query: RunQuery | None = None) -> RunPage:
        """A page of runs, newest first, filtered; continue from `next_offset`."""
        return scan_page(self._store, query or RunQuery())

    def history(self, run_id: str) -> list[Event]:
        return self._store.events(run_id)

    def state_at(self, run_id: str, n: int | None) -> PipelineRun:
        """The run as it was just after event `n` (time travel); None: after the last one."""
        return self._store.state_at(run_id, n)

    def replay(self, run_id: str) -> PipelineRun:
        """The run rebuilt from its whole log (what its stored snapshots must equal)."""
        return self._store.replay(run_id)

    def children(self, run_id: str) -> list[str]:
        return self._store.children(run_id)

    def family(self, run_id: str) -> Family:
        """The run's branch family: root, each run's children, and a snapshot of every run."""
        return family_of(self._store, run_id)

    def pipelines(self) -> Catalog[LoadedPipeline]:
        return catalog.pipelines(self.home)

    def styles(self) -> Catalog[LoadedStyle]:
        return catalog.styles(self.home)

    def providers(self) -> list[ProviderInfo]:
        return self._registry.describe()

    def default_models(self) -> list[str]:
        """What a step uses when neither the command, the pipeline nor the step names models."""
        return list(self.config.default_models_for("") or self._registry.env_default_models())

    def step_defaults(self, pipeline: LoadedPipeline, step: str) -> list[str]:
        """The models `step` of `pipeline` uses unless the writer overrides them."""
        env = self._registry.env_default_models()
        return resolve_models(pipeline.config, step, {}, self.config, env)

    def model_statuses(self, refs: Sequence[str]) -> list[ModelStatus]:
        """Deprecation, end of life and list price of each model (`writeit models`, the form)."""
        return [self._registry.status(ref) for ref in refs]

    def builtin_defaults(self) -> list[str]:
        """The current model of each built-in provider, whichever keys are set."""
        return [s.ref for s in self._registry.default_statuses()]

    def lifecycle(self, status: ModelStatus) -> str:
        """`current`, `deprecated, end of life ... (in N days)` or `retired on ...`, as of today."""
        return status.lifecycle_summary(self._registry.today())

    def model_warnings(self, ref: str) -> list[str]:
        """One-line warnings before a run uses `ref` (deprecated, nearing its end of life)."""
        return self._registry.warnings_for(ref)

    def check_model(self, ref: str) -> None:
        """Raise a clear error now if `ref` cannot be used (unknown provider, missing key)."""
        self._registry.check(ref)

    @property
    def offline_only(self) -> bool:
        """True when no provider key is set, so runs fall back to the offline models."""
        return all(m.startswith("offline:") for m in self._registry.env_default_models())

    def pipeline_of(self, run: PipelineRun) -> LoadedPipeline:
        """The exact pipeline the run was started with (kept in the store)."""
        return stored_pipeline(self._store, run)

    def style_of(self, run: PipelineRun) -> StylePrimer | None:
        """The exact style primer the run was started with, if it had one."""
        return stored_style(self._store, run)

    def models_for(self, run: PipelineRun, step: str) -> list[str]:
        pipeline = self.pipeline_of(run).config
        env = self._registry.env_default_models()
        return resolve_models(pipeline, step, run.model_overrides, self.config, env)

    def is_streaming(self, run_id: str) -> bool:
        return self._streams.is_streaming(run_id)

    def rules(
        self, run: PipelineRun, viewed: str | None = None, *, section: int | None = None
    ) -> Rules:
        """The rulebook's answer for `run` with `viewed` (and on a section step, `section`) on
        screen, as this process sees it."""
        name = viewed or run.current_step or run.step_order[-1]
        spec = self.pipeline_of(run).config.step(name)
        streaming = self.is_streaming(run.run_id)
        return rules(
            run,
            viewed,
            streaming,
            section=section,
            item_step=spec.select == "item",
            sections_of=spec.sections_of,
        )

    def save_preference(self, key: str, value: str) -> None:
        """Keep a preference the writer chose in the app (the theme) in config.yaml."""
        save_preference(self._workspace.config_path, key, value)

    def state_of(self, run: PipelineRun) -> str:
        """The rulebook's truthful words for where `run` is (`waiting for your pick`, ...).

        A list's light snapshot holds no responses to judge by, so an unfinished run is read
        whole; finished runs (most of any list) need nothing more.
        """
        if run.damaged:
            return DAMAGED_STATE
        if run.status not in (RunStatus.COMPLETED, RunStatus.ERROR):
            try:
                run = self.load(run.run_id)
            except WriteItError:  # a damaged response snapshot: marked, never a traceback
                return DAMAGED_STATE
        return run_state(run, self.is_streaming(run.run_id))

    def leaderboard(
        self,
        *,
        step: str | None = None,
        pipeline: str | None = None,
        bootstrap: int = 200,
    ) -> Leaderboard:
        """Model ratings from every pick in the store (Bradley-Terry with a term per display
        slot, 95% bootstrap intervals); `writeit leaderboard` and the TUI's screen."""
        from writeit.engine.leaderboard import leaderboard

        run_ids = self._store.recent_run_ids(pipeline=pipeline)
        return leaderboard(run_ids, self._store.events, step, bootstrap)

    def doctor(self, repair: bool = False) -> DoctorReport:
        """Check every run (events dense and readable, derived keys equal to a replay);
        `repair` rebuilds derived keys from the log and never touches an event."""
        from writeit.engine.doctor import doctor

        return doctor(self._store, repair)

    def remember_session(self, session_id: str, run_id: str) -> None:
        self._sessions.remember(session_id, run_id)

    def last_session_run(self) -> str | None:
        return self._sessions.last_run()

    # -- starting ----------------------------------------------------------------------------

    def prepare_run(
        self,
        pipeline: str | LoadedPipeline,
        inputs: Mapping[str, str],
        *,
        style: str | None = None,
        models: Mapping[str, Sequence[str]] | None = None,
        partial: bool = False,
    ) -> RunPlan:
        """Validate everything a new run needs, writing nothing (`partial`: inputs may be missing)."""
        return prepare_run(
            self.home,
            pipeline,
            inputs,
            style=style or self.config.style,
            models=models or {},
            config=self.config,
            registry=self._registry,
            partial=partial,
        )

    def start_run(
        self,
        pipeline: str | LoadedPipeline,
        inputs: Mapping[str, str],
        *,
        style: str | None = None,
        models: Mapping[str, Sequence[str]] | None = None,
        budget_usd: float | None = None,
    ) -> PipelineRun:
        """Create a run (validating inputs, style and models first); no step starts yet.
        `budget_usd` (else config's `budget_usd`) is recorded as the run's first `BudgetSet`."""
        budget = check_budget(self.config.budget_usd if budget_usd is None else budget_usd)
        run_plan = self.prepare_run(pipeline, inputs, style=style, models=models)
        event = run_plan.event(str(uuid.uuid4()), self._now())
        self._append(event, run_plan.blobs)
        if budget is not None:
            self._append(BudgetSet(run_id=event.run_id, at=self._now(), budget_usd=budget))
        return self.load(event.run_id)

    # -- cost --------------------------------------------------------------------------------

    def estimate(
        self,
        pipeline: str | LoadedPipeline,
        inputs: Mapping[str, str],
        *,
        style: str | None = None,
        models: Mapping[str, Sequence[str]] | None = None,
    ) -> RunEstimate:
        """What a new run would cost, step by step (inputs may be missing; writes nothing)."""
        run_plan = self.prepare_run(pipeline, inputs, style=style, models=models, partial=True)
        return self._estimator.for_plan(run_plan, self._now())

    def estimate_run(self, run_id: str, steps: Sequence[str] | None = None) -> RunEstimate:
        """What `steps` (default: every step not done yet) of a run would cost from here."""
        run = self.load(run_id)
        names = list(steps) if steps is not None else remaining_steps(run)
        config = self.pipeline_of(run).config
        style = self.style_of(run)
        return self._estimator.for_run(run, config, style, names, lambda s: self.models_for(run, s))

    def estimate_step(
        self, run_id: str, step: str | None = None, section: int | None = None
    ) -> StepEstimate:
        """What streaming `step` (default: the current one; a section step's `section` alone
        when given) would cost now. A section step whose sections can be planned is estimated
        from the very prompts its round would send, as the engine's own budget check is; the
        template and a guessed section count are for steps whose source is not picked yet."""
        run = self.load(run_id)
        step = self._step_of(run, step)
        config = self.pipeline_of(run).config
        if config.step(step).sections_of is not None:
            try:
                jobs = self._section_round(run, step, section)[2]
            except WriteItError:  # nothing to plan from yet
                pass
            else:
                return self._estimator.for_requests(config.name, step, [j.request for j in jobs])
        return self.estimate_run(run_id, [step]).steps[0]

    def budget(self, run_id: str, run: PipelineRun | None = None) -> BudgetState:
        """The run's budget, spent (with what its streams cost so far; those at an unknown
        price named) and remaining. `run`: the run as the caller has already loaded it."""
        spend = self._streams.spending.get(run_id)
        live = (spend.live_usd, spend.live_unpriced) if spend else (0.0, 0)
        return budget_state(run if run is not None else self.load(run_id), *live)

    def set_budget(self, run_id: str, budget_usd: float | None) -> None:
        """Set, raise or remove (None) the run's budget: an event (none when it is unchanged, as
        when its dialog is saved as it was); streams see it at once."""
        budget = check_budget(budget_usd)
        if budget == self.load(run_id).budget_usd:
            return
        self._append(BudgetSet(run_id=run_id, at=self._now(), budget_usd=budget))
        if (spend := self._streams.spending.get(run_id)) is not None:
            spend.budget_usd, spend.stopped = budget, False

    def live_cost(self, response_id: str) -> float | None:
        """What a response streaming now has cost so far (None: its price is unknown)."""
        return self._streams.live_cost(response_id)

    def _spend_for(
        self, run: PipelineRun, step: str, jobs: list[StreamJob], over: bool
    ) -> LiveSpend:
        """See `budget.spend_for` (history is read only when the run has a budget)."""
        name = self.pipeline_of(run).config.name
        return spend_for(
            run,
            [(j.response_id, j.request.model_ref, j.request.prompt) for j in jobs],
            lambda: self._estimator.for_requests(name, step, [j.request for j in jobs]),
            lambda ref: self._registry.status(ref).price,
            over_budget=over,
        )

    # -- streaming ---------------------------------------------------------------------------

    async def run_step(
        self, run_id: str, step: str | None = None, *, over_budget: bool = False
    ) -> PipelineRun:
        """Fan the step's prompt out to its models and stream every response to the end.

        At most `max_concurrent_pipelines` steps stream at once; others wait their turn. A run
        with a budget refuses (OverBudget) a step whose upper estimate would cross what remains,
        unless `over_budget`; its streams stop when the spent reaches the budget, either way.
        """
        async with self._streams.slots:
            return await self._run_step(run_id, step, over_budget)

    async def _run_step(self, run_id: str, step: str | None, over_budget: bool) -> PipelineRun:
        run = self.load(run_id)
        step = self._step_of(run, step)
        self._guard(run, step, Action.REGENERATE)
        pipeline = self.pipeline_of(run).config
        spec = pipeline.step(step)
        if spec.sections_of is not None:
            return await self._run_sections(run, step, None, over_budget)
        refs = self.models_for(run, step)
        for ref in refs:
            self._registry.check(ref)
        prompt = step_prompt(run, pipeline, self.style_of(run), step)
        per_model = pipeline.responses_for(spec)
        stubs = [
            ResponseStub(response_id=str(uuid.uuid4()), provider=p, model=m)
            for ref in refs
            for p, m in [ref.split(":", 1)]
            for _ in range(per_model)
        ]
        requests = step_requests(run, pipeline, step, stubs, prompt)
        jobs = [
            StreamJob(run_id=run_id, step=step, response_id=stub.response_id, request=request)
            for stub, request in zip(stubs, requests, strict=True)
        ]
        spend = self._spend_for(run, step, jobs, over_budget)
        self._append(
            StepStarted(
                run_id=run_id,
                at=self._now(),
                step=step,
                prompt=prompt,
                responses=stubs,
                owner_pid=os.getpid(),
            )
        )
        await self._streams.stream(run_id, jobs, spend)
        finished = self.load(run_id)
        logs.step_finished(finished, step)
        return finished

    async def run_section(self, run_id: str, step: str, section: int) -> PipelineRun:
        """Stream a new round of one section of a section step (its siblings keep their picks)."""
        async with self._streams.slots:
            run = self.load(run_id)
            self._guard(run, step, Action.REGENERATE, section=section)
            return await self._run_sections(run, step, section)

    async def _run_sections(
        self, run: PipelineRun, step: str, only: int | None, over_budget: bool = False
    ) -> PipelineRun:
        """Plan a round from the outline (unless `only` restarts one section), then stream every
        section's responses in one fan-out."""
        planned, starts, jobs = self._section_round(run, step, only)
        spend = self._spend_for(run, step, jobs, over_budget)
        for plan_ in planned:
            self._append(plan_)
        for start in starts:
            self._append(start)
        await self._streams.stream(run.run_id, jobs, spend)
        finished = self.load(run.run_id)
        logs.step_finished(finished, step)
        return finished

    def _section_round(
        self, run: PipelineRun, step: str, only: int | None
    ) -> tuple[list[SectionsPlanned], list[StepStarted], list[StreamJob]]:
        """A section round's plan (none when `only` restarts one section), its starts and its
        stream jobs; nothing is appended (WriteItError: no sections to plan, a model unusable)."""
        pipeline = self.pipeline_of(run).config
        refs = self.models_for(run, step)
        for ref in refs:
            self._registry.check(ref)
        probe = run.model_copy(deep=True)
        planned = [] if only is not None else [plan_event(run, pipeline, step, self._now())]
        for plan_ in planned:
            apply(probe, plan_)
        which = [only] if only is not None else range(len(probe.steps[step].sections))
        starts, jobs = section_round(
            probe, pipeline, self.style_of(run), step, refs, which, self._now, os.getpid()
        )
        return planned, starts, jobs

    def cancel(self, run_id: str) -> int:
        """Cancel every response of the run still streaming; they end `cancelled` with their text."""
        return self._streams.cancel(run_id)

    async def run_to_end(
        self,
        run_id: str,
        strategy: PickStrategy,
        *,
        shuffle: bool = False,
        over_budget: bool = False,
    ) -> PipelineRun:
        """Stream every remaining step and pick with `strategy` (headless `writeit run`); stops
        with OverBudget when a step would cross the budget or its streams reached it."""
        run = self.load(run_id)
        strategy.check_fanout(self.fanout_sizes(run))
        while run.status is not RunStatus.COMPLETED:
            step = self._step_of(run, None)
            if not run.steps[step].response_ids or run.steps[step].status is StepStatus.PENDING:
                run = await self.run_step(run_id, step, over_budget=over_budget)
                if any(r.cancel_reason == BUDGET for r in run.steps[step].responses.values()):
                    raise OverBudget(
                        f"the budget was reached during step '{step}': "
                        f"{self.budget(run_id).describe()}; its streams stopped with their text"
                    )
            if run.steps[step].sections or self.pipeline_of(run).config.step(step).select:
                run = self.load(self._auto_pick(run, step, strategy, shuffle))
                continue
            try:
                # --shuffle: shown in the run screen's order, and --pick N counts in it
                order = display_order(run.steps[step].response_ids) if shuffle else None
                index = strategy.choose(run.steps[step], order)
            except WriteItError as exc:
                self.mark_error(run_id, str(exc))
                raise
            run = self.load(self.pick(run_id, index, step=step, shown_order=order))
        return run

    def _auto_pick(self, run: PipelineRun, step: str, strategy: PickStrategy, shuffle: bool) -> str:
        """A headless pick on an item step (an item) or a section step (every open section),
        counted in the shuffled display order with `shuffle`, as on screen."""
        state = run.steps[step]

        def shown(ids: list[str]) -> list[str] | None:
            return display_order(ids) if shuffle else None

        try:
            if not state.sections:
                order = shown(state.response_ids)
                index, item = strategy.choose_item(state, order)
                return self.pick(run.run_id, index, step=step, item=item, shown_order=order)
            orders = {
                k: shown(s.response_ids) for k, s in enumerate(state.sections) if not s.picked
            }
            chosen = {k: strategy.choose_section(state, k, o) for k, o in orders.items()}
        except WriteItError as exc:
            self.mark_error(run.run_id, str(exc))
            raise
        target = run.run_id
        for k, index in chosen.items():
            target = self.pick(target, index, step=step, section=k, shown_order=orders[k])
        return target

    def fanout_sizes(self, run: PipelineRun) -> dict[str, int]:
        """How many responses each step not yet done will stream (models x responses each)."""
        pipeline = self.pipeline_of(run).config
        return {
            name: len(self.models_for(run, name)) * pipeline.responses_for(pipeline.step(name))
            for name in run.step_order
            if run.steps[name].status is not StepStatus.COMPLETED
            and pipeline.step(name).select is None  # `--pick N` counts items there
        }

    # -- choosing ----------------------------------------------------------------------------

    def _step_of(self, run: PipelineRun, step: str | None) -> str:
        step = step or run.current_step
        if not step or step not in run.steps:
            raise NotFound(
                f"run {run.run_id[:8]} has no step '{step or ''}' "
                f"(steps: {', '.join(run.step_order)})"
            )
        return step

    def _guard(
        self,
        run: PipelineRun,
        step: str,
        action: Action,
        index: int | None = None,
        *,
        item: int | None = None,
        section: int | None = None,
    ) -> Rules:
        """Refuse, with the rulebook's reason, what the writer may not do now."""
        verdict = self.rules(run, step, section=section)
        reason = verdict.why_not(action, index, item)
        if reason is None and action is Action.PICK and verdict.cancel_first:
            reason = "cancel the responses still streaming first"
        if reason is not None:
            raise IllegalTransition(f"{action.value} on '{step}': {reason}")
        return verdict

    def _perform(
        self,
        run_id: str,
        step: str | None,
        action: Action,
        build: Build,
        index: int | None = None,
        *,
        item: int | None = None,
        section: int | None = None,
    ) -> str:
        """Append the action `build` makes, branching first if it would change the past."""
        step = self._step_of(self.load(run_id), step)

        def decide(run: PipelineRun, owners: Mapping[str, Owner]) -> list[Event]:
            # Decided on the run as the write transaction sees it (another process may have
            # moved it since it was shown): a branch copies exactly what the parent holds.
            verdict = self._guard(run, step, action, index, item=item, section=section)
            branch = verdict.continues_in_branch(action)
            if branch:
                refuse_streaming(run, run.step_order[: run.step_order.index(step) + 1], owners)
            events = plan(run, step, build, branch=branch, at=self._now())
            if events and not branch and run.status in (RunStatus.ERROR, RunStatus.PAUSED):
                # Choosing on a run that stopped resumes it (a pick or edit of the last step
                # completes it, which only a running run may do); check both before writing.
                resume = RunStatusChanged(run_id=run_id, at=self._now(), status=RunStatus.RUNNING)
                events.insert(0, resume)
                probe: PipelineRun | None = run.model_copy(deep=True)
                for event in events:
                    probe = apply(probe, event)
            return events

        events = self._log.append_planned(run_id, decide)
        self._store.sync()
        return events[0].run_id if events else run_id

    def pick(
        self,
        run_id: str,
        index: int,
        *,
        step: str | None = None,
        shown_order: list[str] | None = None,
        item: int | None = None,
        section: int | None = None,
    ) -> str:
        """Pick response `index` (0-based) of the step; returns the run that holds the pick.

        `item`: on an item step, the item of that response's list that goes forward. On a
        section step, `index` counts within `section` (default: the first one still open)."""
        build = choices.pick(index, shown_order, self._now, item=item, section=section)
        return self._perform(run_id, step, Action.PICK, build, index, item=item, section=section)

    def accept_all(self, run_id: str, *, step: str | None = None) -> str:
        """Pick the first completed response of every section still open; returns the run."""
        run = self.load(run_id)
        name = self._step_of(run, step)
        self._guard(run, name, Action.ACCEPT_ALL)
        state = run.steps[name]
        target = run_id
        for k, section in enumerate(state.sections):
            done = [r.status is ResponseStatus.COMPLETED for r in state.section_responses(k)]
            if not section.picked and any(done):
                target = self.pick(target, done.index(True), step=name, section=k)
        return target

    def edit(
        self,
        run_id: str,
        content: str,
        *,
        step: str | None = None,
        sources: list[str] | None = None,
        provenance: list[ParagraphSource] | None = None,
    ) -> str:
        """Continue with `content` (an edit or a merge of responses) instead of a pick;
        a stitch says where each paragraph came from (`provenance`, kept in the event)."""
        if not content.strip():
            raise WriteItError("edited content is empty")
        build = choices.edit(content, sources, self._now, provenance)
        return self._perform(run_id, step, Action.EDIT, build)

    def revise(
        self,
        run_id: str,
        *,
        step: str | None = None,
        feedback: str | None = None,
        section: int | None = None,
    ) -> str:
        """Prepare a regeneration (branching if needed, recording feedback, for one section
        when `section` is given); returns the run id."""
        build = choices.feedback(feedback, self._now, section)
        action = Action.FEEDBACK if feedback and feedback.strip() else Action.REGENERATE
        return self._perform(run_id, step, action, build, section=section)

    async def regenerate(
        self,
        run_id: str,
        *,
        step: str | None = None,
        feedback: str | None = None,
        section: int | None = None,
    ) -> PipelineRun:
        """Regenerate the step, or only `section` of a section step (the others keep theirs)."""
        target = self.revise(run_id, step=step, feedback=feedback, section=section)
        if section is None:
            return await self.run_step(target, step)
        return await self.run_section(target, self._step_of(self.load(target), step), section)

    # -- around the run ----------------------------------------------------------------------

    def branch(self, run_id: str, from_step: str) -> str:
        """A new run whose parent is `run_id`, with every step before `from_step` copied."""
        run = self.load(run_id)
        if from_step not in run.steps:
            raise NotFound(
                f"run {run.run_id[:8]} has no step '{from_step}' "
                f"(steps: {', '.join(run.step_order)})"
            )
        at = self._now()

        def decide(state: PipelineRun, owners: Mapping[str, Owner]) -> list[Event]:
            try:
                self._guard(state, from_step, Action.BRANCH)
            except IllegalTransition as refused:
                who = streaming_owner(state, state.step_order, owners)
                raise IllegalTransition(f"{refused} ({who})" if who else str(refused)) from None
            return branch_events(state, from_step, carry=False, at=at)

        events = self._log.append_planned(run_id, decide)  # decided in the appending txn
        self._store.sync()
        return events[0].run_id

    def mark_error(self, run_id: str, message: str) -> None:
        """Record that the run cannot go on as it is (every response of a step failed)."""
        self._append(
            RunStatusChanged(run_id=run_id, at=self._now(), status=RunStatus.ERROR, error=message)
        )

    def archive(self, run_id: str) -> None:
        """Hide a run from the home screen; its log is kept."""
        self._append(RunArchived(run_id=run_id, at=self._now()))

    def unarchive(self, run_id: str) -> None:
        """Show an archived run on the home screen again."""
        self._append(RunArchived(run_id=run_id, at=self._now(), archived=False))

    def export(
        self,
        run_id: str,
        fmt: str | None = None,
        to: Path | str | None = None,
        *,
        with_history: bool = False,
    ) -> Path:
        """Write the run's export: to `to` (a file, or a directory ending in `/` or existing),
        else to `$WRITEIT_HOME/exports/{pipeline}-{run_id[:8]}.{ext}`. Returns the path.
        `with_history` adds the step-by-step appendix to markdown, html and docx (a YAML
        export always has every step). html and docx need the `publish` extra (pandoc)."""
        run = self.load(run_id)
        return write_to(
            run,
            fmt or self.config.export_format,
            to,
            self._workspace.exports,
            with_history=with_history,
        )

    # -- import and merge --------------------------------------------------------------------

    def run_blobs(self, run: PipelineRun) -> dict[bytes, bytes]:
        """The stored pipeline and style texts `run` was started with (a merge copies them)."""
        return stored_blobs(self._store, run)

    def append_log(
        self,
        run_id: str,
        events: Sequence[Event],
        *,
        after: int,
        blobs: Mapping[bytes, bytes] | None = None,
    ) -> list[Event]:
        """Append another store's (or an export's) `events` to `run_id` while its last seq is
        still `after` (-1: while it does not exist), checked in the write transaction, so a
        process writing the run meanwhile is never overwritten (`importing.Diverged`)."""
        from writeit.engine.importing import append_log

        written = append_log(self._append, self._log.append_planned, run_id, events, after, blobs)
        self._store.sync()
        return written

    def describe(self, run: PipelineRun, *, lineage: bool = True) -> dict[str, Any]:
        """`show --json`: the export shape plus current step, archived flag and children
        (`lineage=False` for a past state from `state_at`, whose branches came later)."""
        return run_shape(run, self.children(run.run_id) if lineage else [])

    def export_text(
        self, run_id: str, fmt: str | None = None, *, with_history: bool = False
    ) -> str:
        """The run's export as text (for `-o -`); a binary format (docx) is refused."""
        return export_text(
            self.load(run_id), fmt or self.config.export_format, with_history=with_history
        )

    def export_bytes(
        self, run_id: str, fmt: str | None = None, *, with_history: bool = False
    ) -> bytes:
        """The run's export as the bytes of its file, any format (for `-o -` with docx)."""
        return export_bytes(
            self.load(run_id), fmt or self.config.export_format, with_history=with_history
        )
