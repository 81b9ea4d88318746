"""YAML import of item and section steps: every shipped pipeline's finished run, and a
tech-article run worked on as a writer would (an item chosen, one section regenerated with
feedback, the whole draft edited, a budget, a stitched edit, a branch and a run left mid-way),
come back from `import FILE.yaml` so that exporting them again gives the same file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from writeit.domain.errors import WriteItError
from writeit.domain.provenance import ParagraphSource
from writeit.engine import Engine, PickStrategy, import_export

FIRST = PickStrategy.parse("first")


def required_inputs(engine: Engine, pipeline: str) -> dict[str, str]:
    spec = engine.pipelines().items[pipeline].config.inputs
    return {i.name: "tide pools\nkelp forests" for i in spec if i.required}


def round_trip(engine: Engine, other: Engine, run_id: str, tmp_path: Path) -> tuple[str, str]:
    """The run's export, and the export of what importing it into `other` made."""
    exported = engine.export(run_id, "yaml", tmp_path / f"{run_id}.yaml")
    report = import_export(other, exported)
    assert report.added == [run_id], report.lines()
    again = other.export(run_id, "yaml", tmp_path / f"again-{run_id}.yaml")
    return exported.read_text(), again.read_text()


async def test_every_shipped_pipeline_round_trips_through_a_yaml_import(
    engine: Engine, tmp_path: Path
) -> None:
    shipped = sorted(engine.pipelines().items)
    assert {"tech-article", "long-article"} <= set(shipped)
    with Engine.open(tmp_path / "other") as other:
        for pipeline in shipped:
            run_id = engine.start_run(pipeline, required_inputs(engine, pipeline)).run_id
            await engine.run_to_end(run_id, FIRST)
            exported, again = round_trip(engine, other, run_id, tmp_path)
            assert again == exported, pipeline
            here, there = engine.load(run_id), other.load(run_id)
            for name in here.step_order:
                a, b = here.steps[name], there.steps[name]
                assert (a.item, a.title, len(a.sections)) == (b.item, b.title, len(b.sections))
        assert other.doctor().ok


async def test_a_worked_tech_article_and_its_branch_round_trip(
    engine: Engine, tmp_path: Path
) -> None:
    run_id = engine.start_run("tech-article", required_inputs(engine, "tech-article")).run_id
    engine.set_budget(run_id, 5.0)
    await engine.run_step(run_id)
    engine.pick(run_id, 1, item=2)  # angles: item 3 of the second response
    await engine.run_step(run_id)
    engine.pick(run_id, 0)  # outline
    await engine.run_step(run_id)  # draft: every section
    await engine.regenerate(run_id, step="draft", feedback="more code, please", section=1)
    sections = len(engine.load(run_id).steps["draft"].sections)
    for k in range(sections):
        engine.pick(run_id, 1, step="draft", section=k)
    draft = engine.load(run_id).steps["draft"]
    first = draft.section_responses(0)[1]
    assert draft.content is not None
    engine.edit(
        run_id,
        draft.content.replace("\n## ", "\n\nA line of my own.\n\n## ", 1),
        step="draft",
        provenance=[ParagraphSource(response_id=first.response_id, model="offline:x", paragraph=0)],
    )
    await engine.run_step(run_id)  # polish, left mid-way: one section picked
    engine.pick(run_id, 0, step="polish", section=0)

    run = engine.load(run_id)
    assert run.steps["angles"].item == 2 and run.steps["draft"].provenance
    assert run.steps["draft"].sections[1].feedback == "more code, please"
    assert run.budget_usd == 5.0
    branch = engine.branch(run_id, "polish")
    await engine.run_step(branch)
    # Choosing again on a step whose later steps started branches with the step's responses
    # carried (the parent's own, stored once): one such branch also streams a section again.
    carried = engine.pick(run_id, 0, step="draft", section=0)
    await engine.regenerate(carried, step="draft", section=2)
    engine.pick(carried, 0, step="draft", section=2)
    item = engine.pick(run_id, 0, step="angles", item=1)

    with Engine.open(tmp_path / "lone") as lone:  # a branch without its parent: advice
        alone = import_export(lone, engine.export(carried, "yaml", tmp_path / "lone.yaml"))
        assert alone.added == [carried] and "parent first" in alone.lines()[-2]
    with Engine.open(tmp_path / "other") as other:
        for rid in (run_id, branch, carried, item):
            exported, again = round_trip(engine, other, rid, tmp_path)
            assert again == exported
            assert import_export(other, tmp_path / f"{rid}.yaml").unchanged == [rid]
        assert other.load(branch).steps["draft"].title == run.steps["draft"].title
        assert other.doctor().ok


async def test_an_export_whose_item_is_not_in_its_response_is_one_line(
    engine: Engine, tmp_path: Path
) -> None:
    run_id = engine.start_run("blog-post", required_inputs(engine, "blog-post")).run_id
    await engine.run_to_end(run_id, FIRST)
    path = engine.export(run_id, "yaml", tmp_path / "run.yaml")
    path.write_text(path.read_text().replace("\n  item: 0\n", "\n  item: 9\n", 1))
    with Engine.open(tmp_path / "other") as other:
        with pytest.raises(WriteItError, match="no item 10") as info:
            import_export(other, path)
        assert "\n" not in str(info.value)
        assert not other.runs().runs, "nothing is written for a refused import"


async def test_importing_a_markdown_or_binary_file_says_which_export_to_use(
    engine: Engine, tmp_path: Path
) -> None:
    run_id = engine.start_run("blog-post", {"topic": "kelp"}).run_id
    await engine.run_to_end(run_id, FIRST)
    markdown = engine.export(run_id, "markdown", tmp_path / "run.md")
    docx = tmp_path / "run.docx"
    docx.write_bytes(b"PK\x03\x04\xba\xff" * 8)  # a zip, as a docx export is
    for path, says in ((markdown, "a Markdown export"), (docx, "not even text")):
        with pytest.raises(WriteItError, match=says) as info:
            import_export(engine, path)
        assert "--format yaml" in str(info.value) and "\n" not in str(info.value)


async def test_a_run_exported_mid_way_goes_on_with_its_chosen_models_after_import(
    engine: Engine, tmp_path: Path
) -> None:
    chosen = {"draft": ["offline:editor"]}
    run_id = engine.start_run("blog-post", {"topic": "kelp"}, models=chosen).run_id
    await engine.run_step(run_id)
    engine.pick(run_id, 0, item=0)
    with Engine.open(tmp_path / "other") as other:
        exported, again = round_trip(engine, other, run_id, tmp_path)
        assert again == exported and "\nmodels:\n  draft:\n  - offline:editor\n" in exported
        done = await other.run_step(run_id)  # draft, on the model the writer chose
        assert [r.model_ref for r in done.steps["draft"].ordered_responses()] == ["offline:editor"]


async def test_a_cancelled_response_keeps_why_it_stopped(engine: Engine, tmp_path: Path) -> None:
    run_id = engine.start_run("blog-post", {"topic": "kelp"}).run_id
    await engine.run_step(run_id)
    path = engine.export(run_id, "yaml", tmp_path / "run.yaml")
    data = yaml.safe_load(path.read_text())
    first = data["steps"][0]["responses"][0]  # as a budget stop leaves it
    first.update(status="cancelled", finish_reason=None, cancel_reason="budget")
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with Engine.open(tmp_path / "other") as other:
        assert import_export(other, path).added == [run_id]
        assert yaml.safe_load(other.export_text(run_id, "yaml")) == data
