from __future__ import annotations

from writeit.domain.template import check_reference, placeholders, render


def test_render_fills_dotted_names_and_tidies_blank_lines() -> None:
    out = render(
        "A {{ inputs.topic }}\n\n{{ steps.x.feedback }}\n\n\nB {{style}}",
        {"inputs.topic": "LMDB", "style": "S"},
    )
    assert out == "A LMDB\n\nB S\n"


def test_placeholders_know_their_lines() -> None:
    assert [(p.name, p.line) for p in placeholders("a\n{{ x }}\n\n{{y}}")] == [("x", 1), ("y", 3)]


def test_check_reference() -> None:
    args = ({"topic"}, ["angles"], {"angles", "draft"})
    assert check_reference("inputs.topic", *args) is None
    assert check_reference("steps.angles.selected", *args) is None
    assert check_reference("style", *args) is None
    assert "does not come earlier" in (check_reference("steps.draft.selected", *args) or "")
    assert "undefined step" in (check_reference("steps.zzz.selected", *args) or "")
    assert "only selected, feedback" in (check_reference("steps.angles.content", *args) or "")
    assert "undefined variable" in (check_reference("topic", *args) or "")
