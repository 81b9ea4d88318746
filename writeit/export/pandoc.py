"""HTML and Word (docx) exports through pandoc, from the optional `publish` extra.

pandoc is the one converter that writes a valid, styled docx and a standalone HTML page from
Markdown; `pypandoc-binary` ships its binary inside a wheel, so `pip install 'writeit[publish]'`
is the whole setup (no system package, no download at run time). It is optional because the
wheel is large (about 34 MB, 150 MB installed) and most users export YAML or Markdown, so it is
imported only when an html or docx export is asked for.

The Markdown is model text, so it is treated as hostile: pandoc runs in its sandbox (a model's
`![](~/.ssh/id_rsa)` is not embedded in the docx, nothing is fetched), raw HTML becomes visible
code rather than markup (no `<script>` in a published page), and `javascript:`-style link
targets are dropped.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any, Literal

from writeit.domain.errors import WriteItError

PandocFormat = Literal["html", "docx"]
READER = (
    "commonmark_x-smart"  # CommonMark + tables, strikethrough, YAML metadata; quotes as written
)
UNSAFE_URL = re.compile(r"^\s*(javascript|vbscript|data|file):", re.IGNORECASE)
NO_ATTR: list[Any] = ["", [], []]


class PandocMissing(WriteItError):
    """pypandoc (and so pandoc) is not installed: the export needs the `publish` extra."""

    def __init__(self, fmt: str) -> None:
        super().__init__(f"{fmt} export needs pandoc: pip install 'writeit[publish]'")


def _pypandoc(fmt: str) -> Any:
    """pypandoc, imported only now: it is optional and the CLI's fast paths must not pay for it."""
    try:
        import pypandoc
    except ImportError:
        raise PandocMissing(fmt) from None
    return pypandoc


def convert(markdown: str, fmt: PandocFormat) -> bytes:
    """`markdown` (with a YAML front matter block, which pandoc reads as the title and other
    metadata) as a standalone HTML page or a docx file."""
    pypandoc = _pypandoc(fmt)
    try:
        ast = pypandoc.convert_text(markdown, "json", format=READER, sandbox=True)
        safe = json.dumps(defang(json.loads(ast)))
        if fmt == "html":
            page: str = pypandoc.convert_text(
                safe, "html", format="json", extra_args=["--standalone", "--quiet"], sandbox=True
            )
            return page.encode("utf-8")
        with tempfile.TemporaryDirectory(prefix="writeit-pandoc-") as tmp:
            out = Path(tmp) / "export.docx"
            pypandoc.convert_text(
                safe,
                "docx",
                format="json",
                outputfile=str(out),
                extra_args=["--quiet"],
                sandbox=True,
            )
            return out.read_bytes()
    except OSError as exc:  # pypandoc without a pandoc binary on PATH
        raise PandocMissing(fmt) from exc
    except RuntimeError as exc:  # pandoc ran and failed: say its first line
        first = (str(exc).strip().splitlines() or ["failed"])[0]
        raise WriteItError(f"pandoc could not write {fmt}: {first}") from None


def defang(node: Any) -> Any:
    """The pandoc AST with raw HTML/TeX shown as code instead of passed through, and link or
    image targets with a script or local-file scheme emptied."""
    if isinstance(node, list):
        return [defang(n) for n in node]
    if not isinstance(node, dict):
        return node
    kind = node.get("t")
    if kind == "RawBlock":
        return {"t": "CodeBlock", "c": [NO_ATTR, node["c"][1]]}
    if kind == "RawInline":
        return {"t": "Code", "c": [NO_ATTR, node["c"][1]]}
    if kind in ("Link", "Image"):
        attr, inlines, (url, title) = node["c"]
        url = "" if UNSAFE_URL.match(url) else url
        return {"t": kind, "c": [attr, defang(inlines), [url, title]]}
    return {key: defang(value) for key, value in node.items()}
