"""New run: a form generated from the pipeline's inputs, with style and per-step models.

Problems are shown next to the field they concern; nothing the writer types can crash the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from writeit.domain.budget import check_budget
from writeit.domain.errors import WriteItError
from writeit.domain.pipeline import InputSpec, LoadedPipeline, check_model_ref
from writeit.domain.redact import strip_control
from writeit.engine import ALL_STEPS, DEFAULT_STYLE
from writeit.tui.messages import OpenRun
from writeit.tui.screens.base import WriteItScreen
from writeit.tui.text import ARROW, estimate_text, plain
from writeit.tui.textual_leaks import TextBox
from writeit.tui.widgets.key_bar import KeyBar

DEFAULT_PIPELINE = "tech-article"


@dataclass
class Prefill:
    """What `writeit new` was given on the command line."""

    pipeline: str | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    style: str | None = None
    models: dict[str, list[str]] = field(default_factory=dict)  # step (or `*`) -> models
    autostart: bool = False
    budget: float | None = None  # `writeit new --budget USD`


class NewRunScreen(WriteItScreen[None]):
    """Choose a pipeline and style, fill in its inputs, check the models, start."""

    TITLE = "New run"
    HELP = "Fill in the inputs (* required). Models are provider:model, comma-separated."
    BINDINGS = [
        Binding("ctrl+s", "start", "Start run", priority=True, id="start"),
        Binding("escape", "back", "Back", id="back"),
    ]

    def __init__(self, prefill: Prefill | None = None) -> None:
        super().__init__()
        self.prefill = prefill or Prefill()
        self.pipelines = self.engine.pipelines()
        self.style_catalog = self.engine.styles()
        self._values: dict[str, str] = dict(self.prefill.inputs)
        self._built_for: str | None = None

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        names = sorted(self.pipelines.items)
        wanted = self.prefill.pipeline or DEFAULT_PIPELINE
        chosen = next((n for n in (wanted, DEFAULT_PIPELINE) if n in names), None)
        style = self.prefill.style or self.engine.config.style or DEFAULT_STYLE
        with VerticalScroll(id="new-run"):
            yield Label("Pipeline", classes="field-label")
            yield Select(
                [(plain(n), n) for n in names],
                value=chosen or (names[0] if names else Select.BLANK),
                allow_blank=not names,
                id="pipeline",
            )
            yield Static(id="pipeline-about", classes="field-help")
            yield Static(id="error-pipeline", classes="field-error")
            yield Label("Style", classes="field-label")
            styles = sorted(self.style_catalog.items)
            yield Select(
                [(plain(self.style_catalog.items[s].primer.name), s) for s in styles],
                value=style if style in styles else (styles[0] if styles else Select.BLANK),
                allow_blank=not styles,
                id="style",
            )
            yield Static(id="error-style", classes="field-error")
            yield Vertical(id="inputs")
            yield Label("Models per step (provider:model, comma-separated)", classes="section")
            yield Vertical(id="models")
            yield Label("Budget in USD (optional): steps ask before crossing it", classes="section")
            budget = self.prefill.budget or self.engine.config.budget_usd
            yield Input(f"{budget:g}" if budget else "", placeholder="e.g. 0.50", id="budget")
            yield Static(id="error-budget", classes="field-error")
            yield Static(id="estimate", classes="field-help")
            problems = self.pipelines.problems + self.style_catalog.problems
            yield Static(
                plain("Skipped broken files:\n" + "\n".join(problems)) if problems else "",
                id="catalog-problems",
                classes="field-error -shown" if problems else "field-error",
            )
            yield Static(id="form-error", classes="field-error")
            with Horizontal(id="form-buttons"):
                yield Button("Start run (ctrl+s)", variant="primary", id="start")
                yield Button("Back (esc)", id="back")
        yield KeyBar()

    async def on_mount(self) -> None:
        wanted = self.prefill.pipeline
        if wanted and wanted not in self.pipelines.items:
            known = ", ".join(sorted(self.pipelines.items)) or "none"
            self._error("pipeline", f"unknown pipeline '{wanted}' (available: {known})")
            self.prefill.autostart = False
        await self._build(self.pipeline)
        self._refresh_estimate()
        self._focus_first_empty()
        if self.prefill.autostart and self.pipeline is not None and self._required_given():
            self.call_after_refresh(self.action_start)

    def _focus_first_empty(self) -> None:
        """Start where typing is needed: the first required input still empty."""
        loaded, values = self.pipeline, self._read_inputs()
        for spec in loaded.config.inputs if loaded else ():
            if spec.required and not values.get(spec.name, "").strip():
                self.query_one(f"#input-{spec.name}").focus()
                return

    @property
    def pipeline(self) -> LoadedPipeline | None:
        value = self.query_one("#pipeline", Select).value
        return self.pipelines.items.get(value) if isinstance(value, str) else None

    async def _build(self, loaded: LoadedPipeline | None) -> None:
        """(Re)generate the input and model fields for the chosen pipeline."""
        name = loaded.config.name if loaded else None
        if name == self._built_for:
            return
        self._built_for = name
        box, models = self.query_one("#inputs", Vertical), self.query_one("#models", Vertical)
        about = self.query_one("#pipeline-about", Static)
        with self.app.batch_update():
            await box.remove_children()
            await models.remove_children()
            if loaded is None:
                about.update("")
                return
            config = loaded.config
            steps = f" {ARROW} ".join(config.step_names)
            about.update(plain(f"{config.description}  ({steps})"))
            await box.mount_all([w for spec in config.inputs for w in self._input_field(spec)])
            await models.mount_all(
                [w for step in config.step_names for w in self._model_field(step)]
            )

    def _input_field(self, spec: InputSpec) -> list[Widget]:
        """Every text of the pipeline file (name, help, choices, default) is shown filtered:
        pipelines are shared, and an escape sequence in one must not reach the terminal."""
        label = Text.assemble(plain(spec.name, "bold"), (" *" if spec.required else "", "red"))
        help_ = strip_control(spec.help or "")
        if help_:
            label.append(f"  {help_}", style="dim")
        value = strip_control(self._values.get(spec.name, spec.default or ""))
        widget: Widget
        if spec.type == "choice":
            choices = list(spec.choices or ())
            widget = Select(
                [(plain(c), c) for c in choices],
                value=value if value in choices else Select.BLANK,
                allow_blank=not spec.required or value not in choices,
            )
        elif spec.type == "multiline":
            widget = TextBox(value, soft_wrap=True, classes="multiline")
        else:
            widget = Input(value, placeholder=help_ or spec.name)
        widget.id = f"input-{spec.name}"
        widget.add_class("run-input")
        return [
            Label(label, classes="field-label"),
            widget,
            Static(id=f"error-{spec.name}", classes="field-error"),
        ]

    def _model_field(self, step: str) -> list[Widget]:
        return [
            Horizontal(
                Label(plain(step), classes="model-step"),
                Input(strip_control(", ".join(self._models_for(step))), id=f"model-{step}"),
                classes="model-row",
            ),
            Static(id=f"error-model-{step}", classes="field-error"),
            Static(id=f"status-model-{step}", classes="field-help model-status"),
        ]

    @on(Input.Changed, ".model-row Input")
    def _models_changed(self, event: Input.Changed) -> None:
        step = (event.input.id or "").removeprefix("model-")
        refs = [m.strip() for m in event.value.split(",") if m.strip()]
        self._describe_models(step, refs)
        self._refresh_estimate()

    @on(Input.Changed, "#budget")
    def _budget_changed(self) -> None:
        self._refresh_estimate()

    def _budget(self) -> float | None:
        """The budget field as USD (None when empty); a wrong value is marked, not raised."""
        raw = self.query_one("#budget", Input).value.strip().lstrip("$")
        problem = ""
        value = None
        if raw:
            try:
                value = check_budget(float(raw))
            except (ValueError, WriteItError):
                problem = "a budget is a positive amount of USD, e.g. 0.50"
        self._error("budget", problem)
        if problem:
            raise WriteItError("fix the fields marked in red")
        return value

    def _refresh_estimate(self) -> None:
        """Estimate the run as the form stands (off the UI thread: history and prices)."""
        loaded = self.pipeline
        if loaded is None:
            return
        models = {}
        for step in loaded.config.step_names:
            for widget in self.query(f"#model-{step}"):
                if isinstance(widget, Input):
                    refs = [m.strip() for m in widget.value.split(",") if m.strip()]
                    models[step] = refs or self._defaults(step)
        try:
            budget = self._budget()
        except WriteItError:
            budget = None
        self._estimate(loaded, self._read_inputs(), models, budget)

    @work(thread=True, group="estimate", exclusive=True)
    def _estimate(
        self,
        loaded: LoadedPipeline,
        inputs: dict[str, str],
        models: dict[str, list[str]],
        budget: float | None,
    ) -> None:
        values = {k: v for k, v in inputs.items() if v.strip()}
        try:
            estimate = self.engine.estimate(loaded, values, models=models)
        except WriteItError as exc:
            text = Text(f"Estimate: {exc}", style="dim")
        else:
            text = estimate_text(estimate, budget)
        self.app.call_from_thread(self._show_help, "#estimate", text)

    @work(thread=True, group="model-status", exclusive=False)
    def _describe_models(self, step: str, refs: list[str]) -> None:
        """Each model's status and list price under its field (prices load off the UI thread)."""
        engine = self.engine
        lines = []
        for status in engine.model_statuses(refs):
            life = engine.lifecycle(status)
            line = f"{status.ref}: {life}, {status.price_summary()}"
            if status.replacement and (status.deprecated or status.retired):
                line += f"; use {status.replacement}"
            lines.append(
                (line, "bold red" if status.retired else "yellow" if status.deprecated else "dim")
            )
        text = Text("\n").join(plain(line, style) for line, style in lines)
        self.app.call_from_thread(self._show_help, f"#status-model-{step}", text)

    def _show_help(self, selector: str, text: Text) -> None:
        """Show a worker's result, on the UI thread; the form may have been rebuilt for another
        pipeline or closed by ctrl+s while the worker ran, so a missing field is no error."""
        for widget in self.query(selector):
            if isinstance(widget, Static):
                widget.update(text)

    def _defaults(self, step: str) -> list[str]:
        loaded = self.pipeline
        assert loaded is not None
        return self.engine.step_defaults(loaded, step)

    def _models_for(self, step: str) -> list[str]:
        given = self.prefill.models
        return given.get(step) or given.get(ALL_STEPS) or self._defaults(step)

    @on(Select.Changed, "#pipeline")
    async def _pipeline_changed(self) -> None:
        loaded = self.pipeline
        if self._built_for is None or (loaded and loaded.config.name == self._built_for):
            return  # the initial value (on_mount builds the form), or no change
        self._values.update(self._read_inputs())
        self._error("pipeline", "")
        await self._build(loaded)
        self._refresh_estimate()

    # -- starting ----------------------------------------------------------------------------

    def _read_inputs(self) -> dict[str, str]:
        out = {}
        for widget in self.query(".run-input"):
            name = (widget.id or "").removeprefix("input-")
            if isinstance(widget, Input | TextArea):
                out[name] = widget.value if isinstance(widget, Input) else widget.text
            elif isinstance(widget, Select):
                out[name] = widget.value if isinstance(widget.value, str) else ""
        return out

    def _required_given(self) -> bool:
        loaded = self.pipeline
        assert loaded is not None
        return all(
            (self.prefill.inputs.get(s.name) or s.default or "").strip()
            for s in loaded.config.inputs
            if s.required
        )

    def _error(self, name: str, message: str) -> None:
        for widget in self.query(f"#error-{name}"):
            if isinstance(widget, Static):
                widget.update(plain(message))
                widget.set_class(bool(message), "-shown")

    def _check(self, inputs: dict[str, str]) -> dict[str, list[str]]:
        """Models the writer changed, per step; fields with problems are marked."""
        loaded = self.pipeline
        assert loaded is not None
        ok = True
        for spec in loaded.config.inputs:
            missing = spec.required and not inputs.get(spec.name, "").strip()
            self._error(spec.name, f"{spec.name} is required" if missing else "")
            ok = ok and not missing
        models: dict[str, list[str]] = {}
        for step in loaded.config.step_names:
            raw = self.query_one(f"#model-{step}", Input).value
            refs = [m.strip() for m in raw.split(",") if m.strip()]
            problem = "name at least one provider:model" if not refs else ""
            for ref in refs:
                try:
                    check_model_ref(ref)
                    self.engine.check_model(ref)
                except (ValueError, WriteItError) as exc:
                    problem = str(exc)
            self._error(f"model-{step}", problem)
            ok = ok and not problem
            if refs != self._defaults(step):
                models[step] = refs
        if not ok:
            raise WriteItError("fix the fields marked in red")
        return models

    def action_start(self) -> None:
        loaded = self.pipeline
        self._error("form", "")
        if loaded is None:
            self._error("form", "choose a pipeline first")
            return
        inputs = self._read_inputs()
        style = self.query_one("#style", Select).value
        try:
            models = self._check(inputs)
            run = self.engine.start_run(
                loaded,
                {k: v for k, v in inputs.items() if v.strip()},
                style=style if isinstance(style, str) else None,
                models=models,
                budget_usd=self._budget(),
            )
        except WriteItError as exc:
            self._error("form", str(exc))
            return
        self.post_message(OpenRun(run.run_id, stream=run.current_step))

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(Button.Pressed, "#start")
    def _start_pressed(self) -> None:
        self.action_start()

    @on(Button.Pressed, "#back")
    def _back_pressed(self) -> None:
        self.action_back()
