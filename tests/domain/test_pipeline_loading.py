"""Pipeline and style validation: every problem is reported as `file:line: message`."""

from __future__ import annotations

from pathlib import Path

import pytest

from writeit.domain import catalog
from writeit.domain.errors import ValidationProblem
from writeit.domain.pipeline import load_pipeline
from writeit.domain.style import load_style

GOOD = """\
name: demo
inputs:
  - {name: topic, required: true}
steps:
  - name: ideas
    prompt: "Ideas about {{ inputs.topic }}"
  - name: draft
    prompt: |
      {{ style }}
      Write about {{ steps.ideas.selected }}.
      {{ steps.ideas.feedback }}
"""


def problems(text: str, name: str = "p.yaml") -> list[str]:
    with pytest.raises(ValidationProblem) as info:
        load_pipeline(name, text)
    return info.value.problems


def test_good_pipeline_loads() -> None:
    loaded = load_pipeline("p.yaml", GOOD)
    assert loaded.config.step_names == ["ideas", "draft"]
    assert len(loaded.sha256) == 64


def test_shipped_pipelines_and_styles_load(tmp_path: Path) -> None:
    pipes = catalog.pipelines(tmp_path)
    assert pipes.problems == []
    assert {"tech-article", "blog-post", "newsletter"} <= set(pipes.items)
    tech = pipes.items["tech-article"].config
    assert tech.step_names == ["angles", "outline", "draft", "polish"]
    topic, audience, notes = tech.inputs
    assert (topic.name, topic.required) == ("topic", True)
    assert (audience.type, audience.default) == ("choice", "developers")
    assert (notes.name, notes.type, notes.required) == ("notes", "multiline", False)
    styles = catalog.styles(tmp_path)
    assert styles.problems == []
    assert {"tech-journalist", "friendly-teacher", "opinionated-engineer"} <= set(styles.items)


def test_undefined_variable_names_its_line() -> None:
    text = GOOD.replace("Write about {{ steps.ideas.selected }}.", "Write {{ inputs.nope }}.")
    [p] = problems(text)
    assert p.startswith("p.yaml:10: ")
    assert "undefined input 'nope'" in p


def test_reference_to_a_later_step_is_an_error() -> None:
    text = GOOD.replace('"Ideas about {{ inputs.topic }}"', '"{{ steps.draft.selected }}"')
    [p] = problems(text)
    assert p.startswith("p.yaml:6: ")
    assert "does not come earlier" in p


def test_unknown_field_and_wrong_type() -> None:
    text = GOOD.replace("  - name: ideas\n", "  - name: ideas\n    colour: red\n").replace(
        "name: demo", "name: demo\ndefaults: {temperature: hot}"
    )
    found = problems(text)
    assert any(p.startswith("p.yaml:2: ") and "temperature" in p for p in found)
    assert any("unknown field 'colour'" in p and p.startswith("p.yaml:7:") for p in found)


def test_yaml_syntax_error_has_line() -> None:
    [p] = problems("name: demo\ninputs: [\n  - broken: {\n")
    assert p.startswith("p.yaml:") and "YAML syntax error" in p


def test_structure_rules() -> None:
    dup = GOOD.replace("name: draft", "name: ideas").replace("steps.ideas.", "inputs.")
    dup = dup.replace("{{ inputs.selected }}", "x").replace("{{ inputs.feedback }}", "")
    assert any("duplicate step name 'ideas'" in p for p in problems(dup))
    one_step = "name: x\ninputs: [{name: a}]\nsteps:\n  - {name: s, prompt: hi}\n"
    assert any("steps" in p and "at least 2" in p for p in problems(one_step))
    no_inputs = "name: x\ninputs: []\nsteps: [{name: a, prompt: a}, {name: b, prompt: b}]\n"
    assert any("inputs" in p for p in problems(no_inputs))
    bad_model = GOOD.replace("  - name: draft\n", "  - name: draft\n    models: [gpt4]\n")
    assert any("provider:model" in p for p in problems(bad_model))
    empty_name = GOOD.replace("name: demo", "name: ''")
    assert any("name" in p for p in problems(empty_name))


def test_empty_and_non_utf8_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("  \n")
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"name: \xff\xfe\n")
    for path, needle in ((empty, "empty"), (binary, "not UTF-8")):
        with pytest.raises(ValidationProblem) as info:
            load_pipeline(path)
        assert info.value.problems[0].startswith(f"{path}:1: ")
        assert needle in info.value.problems[0]


def test_broken_user_pipeline_is_reported_and_others_still_load(tmp_path: Path) -> None:
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "broken.yaml").write_text("name: broken\nsteps: [\n")
    cat = catalog.pipelines(tmp_path)
    assert "tech-article" in cat.items
    assert len(cat.problems) == 1 and "broken.yaml:" in cat.problems[0]


def test_user_pipeline_overrides_shipped(tmp_path: Path) -> None:
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "mine.yaml").write_text(
        GOOD.replace("name: demo", "name: tech-article")
    )
    assert catalog.find_pipeline(tmp_path, "tech-article").config.step_names == ["ideas", "draft"]


def test_style_primer_formats_into_prompt(tmp_path: Path) -> None:
    style = catalog.find_style(tmp_path, "tech-journalist").primer
    text = style.format_for_prompt()
    assert "Tech journalist" in text and "Avoid:" in text and "Prefer:" in text
    with pytest.raises(ValidationProblem) as info:
        load_style("s.yaml", "id: x\nname: X\nmood: grumpy\n")
    assert info.value.problems == ["s.yaml:3: unknown field 'mood'"]
