"""Publishing exports (issue 14): Markdown a static site generator accepts, HTML and docx through
pandoc, and no terminal control sequence in any format, whatever the models wrote."""

from __future__ import annotations

import html
import re
import sys
import time
import zipfile
from datetime import datetime
from io import BytesIO
from pathlib import Path

import frontmatter
import pytest
import yaml

from writeit.domain.errors import WriteItError
from writeit.domain.redact import strip_control
from writeit.engine import Engine, PickStrategy
from writeit.export.article import count_h1, demote_headings, first_paragraph, split_headline
from writeit.export.pandoc import PandocMissing

FIRST = PickStrategy.parse("first")
FORBIDDEN = ("\x1b", "\x07", "\x9b", "\x9d", "\x90", "\x08", "\x0c")
# A topic the offline models repeat in every answer: its control sequences reach model text.
HOSTILE_TOPIC = "LMDB\x1b]52;c;ZXZpbA==\x07 \x1b[2J\x9b31m tricks\x07"
OWN_TITLES = """# A headline the model chose

Opening paragraph with *emphasis* and a [link](https://example.com).

# A second H1 the model used as a section

Text under it.

## A subsection

Setext H1
=========

```bash
# a comment in code, not a heading
```

<h1>raw html heading</h1>
"""


async def finished(
    engine: Engine, topic: str = "Event sourcing", pipeline: str = "tech-article"
) -> str:
    run = engine.start_run(pipeline, {"topic": topic})
    return (await engine.run_to_end(run.run_id, FIRST)).run_id


def edited(engine: Engine, run_id: str, text: str) -> str:
    """A completed branch whose article is `text` (an edit of the last step)."""
    last = engine.load(run_id).step_order[-1]
    return engine.edit(run_id, text, step=last)


def docx_text(data: bytes) -> str:
    """The words of a docx body: pandoc splits runs at spaces, so join every <w:t>."""
    with zipfile.ZipFile(BytesIO(data)) as docx:
        xml = docx.read("word/document.xml").decode("utf-8")
    runs = re.findall(r"<w:t[^>]*>([^<]*)</w:t>", xml)
    return " ".join(html.unescape("".join(runs)).split())


def words(text: str) -> str:
    return " ".join(text.split())


# -- Markdown ------------------------------------------------------------------------------------


async def test_markdown_export_is_a_publishable_article(engine: Engine) -> None:
    run_id = await finished(engine)
    run = engine.load(run_id)
    article = run.article or ""
    assert article.startswith("# "), "the offline editor writes its own H1 title"

    text = engine.export_text(run_id, "markdown")
    post = frontmatter.loads(text)
    meta = post.metadata
    headline = article.splitlines()[0].removeprefix("# ")
    assert meta["title"] == headline  # the model's headline becomes the title...
    assert isinstance(meta["date"], datetime) and meta["date"].tzinfo is not None
    assert isinstance(meta["description"], str) and meta["description"] in words(article)
    assert meta["tags"] == ["Event sourcing"]  # a short topic is a tag
    assert meta["models"] == ["offline:writer", "offline:editor"]
    assert meta["run_id"] == run_id
    assert count_h1(post.content) == 1  # ...and appears once, as the only H1
    assert post.content.startswith(f"# {headline}\n")
    assert article.split("\n", 1)[1].strip() in post.content  # the rest of the text, unchanged
    assert "Appendix" not in text and "(picked)" not in text  # the making-of is opt-in


async def test_front_matter_is_what_hugo_jekyll_and_astro_read(engine: Engine) -> None:
    """A `---` block first, the date an unquoted ISO 8601 timestamp (Astro's z.date() rejects
    a quoted string), tags and models as lists, and plain YAML (safe_load, no tags)."""
    run_id = await finished(engine, topic="Caching: when, why & how")
    text = engine.export_text(run_id, "markdown")
    assert text.startswith("---\n")
    block = text.split("---\n", 2)[1]
    assert re.search(r"^date: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$", block, re.M), block
    data = yaml.safe_load(block)
    assert list(data) == ["title", "date", "description", "tags", "models", "run_id"]
    assert isinstance(data["tags"], list) and isinstance(data["models"], list)
    assert data["tags"] == []  # a topic of more than four words is not a tag


async def test_only_one_h1_even_when_the_model_wrote_several(engine: Engine) -> None:
    run_id = edited(engine, await finished(engine), OWN_TITLES)
    text = engine.export_text(run_id, "markdown")
    post = frontmatter.loads(text)
    assert post.metadata["title"] == "A headline the model chose"
    assert count_h1(post.content) == 1 and post.content.startswith("# A headline the model chose")
    assert post.content.count("A headline the model chose") == 1  # not repeated in the body
    assert "\n## A second H1 the model used as a section\n" in post.content
    assert "\n### A subsection\n" in post.content  # levels shift together, order kept
    assert "\nSetext H1\n---------\n" in post.content  # setext H1 -> setext H2
    assert "# a comment in code, not a heading" in post.content  # code is untouched
    assert "<h2>raw html heading</h2>" in post.content
    assert post.metadata["description"] == "Opening paragraph with emphasis and a link."


def test_heading_rules_in_isolation() -> None:
    assert split_headline("Intro\n\n# Later") == ("", "Intro\n\n# Later")
    assert split_headline("# *Big* `news`\n\nBody") == ("Big news", "Body")
    assert demote_headings("## Already H2\n\n### H3") == "## Already H2\n\n### H3"
    assert demote_headings("> # quoted\n\n- # listed") == "> ## quoted\n\n- ## listed"
    assert count_h1(demote_headings("Title\n===\n\nSub\n---")) == 0
    assert demote_headings("# a\n\n###### six", by=4) == "##### a\n\n###### six"
    assert first_paragraph("# H\n\n" + "word " * 100).endswith("…")


async def test_with_history_adds_the_appendix_and_keeps_one_h1(engine: Engine) -> None:
    run_id = await finished(engine)
    plain = engine.export_text(run_id, "markdown")
    full = engine.export_text(run_id, "markdown", with_history=True)
    assert full.startswith(plain.rstrip("\n"))  # the same article, then the appendix
    appendix = full[len(plain.rstrip("\n")) :]
    assert "## Appendix: how this article was written" in appendix
    assert "### Step: angles" in appendix and "(picked)" in appendix
    # The outline and draft responses carry their own `# ...` lines, quoted in the appendix.
    assert count_h1(frontmatter.loads(full).content) == 1
    path = engine.export(run_id, "markdown", with_history=True)
    assert path.read_text(encoding="utf-8") == full


# -- HTML and docx (pandoc) -------------------------------------------------------------------


async def test_html_export_is_a_standalone_page_with_the_title(engine: Engine) -> None:
    run_id = await finished(engine)
    article = engine.load(run_id).article or ""
    title = article.splitlines()[0].removeprefix("# ")
    started = time.perf_counter()
    path = engine.export(run_id, "html")
    took = time.perf_counter() - started
    assert path == engine.home / "exports" / f"tech-article-{run_id[:8]}.html"
    page = path.read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert f"<title>{title}</title>" in page
    assert len(re.findall(r"<h1\b", page)) == 1, "one H1: pandoc's title block"
    last_paragraph = article.strip().splitlines()[-1]
    assert last_paragraph in page and 'name="description"' in page
    print(f"html export (pandoc, two passes): {took:.2f} s")


async def test_docx_export_is_an_office_zip_with_the_article(engine: Engine) -> None:
    run_id = await finished(engine)
    article = engine.load(run_id).article or ""
    started = time.perf_counter()
    path = engine.export(run_id, "docx")
    took = time.perf_counter() - started
    assert path.suffix == ".docx" and zipfile.is_zipfile(path)
    data = path.read_bytes()
    with zipfile.ZipFile(BytesIO(data)) as docx:
        assert {"[Content_Types].xml", "word/document.xml"} <= set(docx.namelist())
        assert docx.testzip() is None
    body = docx_text(data)
    for paragraph in article.split("\n\n")[1:]:
        if not paragraph.startswith("#"):
            assert words(paragraph) in body
    assert words(article.splitlines()[0].removeprefix("# ")) in body  # the title
    print(f"docx export (pandoc, two passes): {took:.2f} s")


async def test_raw_html_links_and_local_files_from_a_model_are_defanged(
    engine: Engine, tmp_path: Path
) -> None:
    """Model text is untrusted: a published page must not run its script, and the docx must
    not embed a local file the model named."""
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG not really")
    text = (
        "# Title\n\nHello <script>alert(1)</script> world.\n\n"
        "<div onclick='steal()'>block</div>\n\n"
        "[click](javascript:alert(2)) and ![img](" + str(secret) + ")\n"
    )
    run_id = edited(engine, await finished(engine), text)
    page = engine.export_bytes(run_id, "html").decode("utf-8")
    assert "<script" not in page and "<div onclick" not in page
    assert "<code>&lt;script&gt;</code>" in page  # shown as code, not run
    assert "&lt;div onclick=&#39;steal()&#39;&gt;" in page
    assert "javascript:" not in page
    docx = engine.export_bytes(run_id, "docx")
    with zipfile.ZipFile(BytesIO(docx)) as z:
        assert not any(n.startswith("word/media/") for n in z.namelist())


async def test_no_pandoc_gives_one_clear_error(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = await finished(engine)
    monkeypatch.setitem(sys.modules, "pypandoc", None)  # `import pypandoc` now fails
    for fmt in ("html", "docx"):
        with pytest.raises(PandocMissing) as caught:
            engine.export(run_id, fmt)
        assert str(caught.value) == f"{fmt} export needs pandoc: pip install 'writeit[publish]'"
        assert isinstance(caught.value, WriteItError)  # the faces show it as one line
    assert not (engine.home / "exports").exists() or not any((engine.home / "exports").iterdir())
    assert engine.export(run_id, "markdown").exists()  # the other formats need nothing


# -- control sequences ---------------------------------------------------------------------------


@pytest.mark.parametrize("with_history", [False, True])
async def test_control_sequences_never_reach_any_format(engine: Engine, with_history: bool) -> None:
    run_id = await finished(engine, topic=HOSTILE_TOPIC)
    run = engine.load(run_id)
    assert "\x1b]52" in (run.article or ""), "the store keeps the text as received"

    texts = {
        fmt: engine.export_text(run_id, fmt, with_history=with_history)
        for fmt in ("yaml", "markdown", "html")
    }
    with zipfile.ZipFile(
        BytesIO(engine.export_bytes(run_id, "docx", with_history=with_history))
    ) as z:
        texts["docx"] = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    for fmt, text in texts.items():
        for byte in FORBIDDEN:
            assert byte not in text, f"{fmt} export carries {byte!r}"
        assert "tricks" in text, f"{fmt}: the printable text stays"
    loaded = yaml.safe_load(texts["yaml"])
    assert loaded["inputs"]["topic"] == strip_control(HOSTILE_TOPIC)
    assert loaded["article"] == strip_control(run.article or "")
    assert "\\e" not in texts["yaml"] and "\\x1b" not in texts["yaml"]  # not escaped either
