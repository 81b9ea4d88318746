"""`writeit export` with the publishing formats: --format markdown|html|docx, --with-history,
-o FILE | DIR/ | -, the config's default format, and the one-line error without pandoc."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path

import frontmatter
import pytest

from writeit.cli import main

REPO = Path(__file__).resolve().parents[2]
NO_PANDOC = "writeit: error: {fmt} export needs pandoc: pip install 'writeit[publish]'"


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def finished(capsys: pytest.CaptureFixture[str]) -> str:
    code, out, err = cli(capsys, "run", "tech-article", "-i", "topic=Event sourcing")
    assert code == 0, err
    return out.strip()


def test_markdown_to_stdout_is_publishable_and_history_is_opt_in(
    capsys: pytest.CaptureFixture[str], finished: str, home: Path
) -> None:
    code, out, err = cli(capsys, "export", finished[:8], "-f", "markdown", "-o", "-")
    assert code == 0, err
    post = frontmatter.loads(out)
    assert post.metadata["run_id"] == finished and post.content.startswith("# Event sourcing")
    assert "Appendix" not in out
    assert not (home / "exports").exists() and not (Path.cwd() / "-").exists()

    code, full, err = cli(capsys, "export", finished, "-f", "markdown", "--with-history", "-o", "-")
    assert code == 0, err
    assert full.startswith(out.rstrip("\n")) and "## Appendix: how this article was written" in full


@pytest.mark.parametrize("fmt", ["html", "docx"])
def test_html_and_docx_go_to_the_default_place_a_directory_or_a_file(
    capsys: pytest.CaptureFixture[str], finished: str, home: Path, tmp_path: Path, fmt: str
) -> None:
    code, out, err = cli(capsys, "export", finished, "-f", fmt, "--json")
    assert code == 0, err
    default = home / "exports" / f"tech-article-{finished[:8]}.{fmt}"
    assert json.loads(out) == {"path": str(default), "format": fmt} and default.exists()

    code, out, err = cli(capsys, "export", finished, "-f", fmt, "-o", f"{tmp_path}/site/")
    assert code == 0, err
    assert Path(out.strip()) == tmp_path / "site" / default.name

    named = tmp_path / f"mine.{fmt}"
    code, out, err = cli(capsys, "export", finished, "-f", fmt, "-o", str(named))
    assert code == 0 and Path(out.strip()) == named, err
    if fmt == "docx":
        assert zipfile.is_zipfile(named)
    else:
        assert "<title>Event sourcing" in named.read_text(encoding="utf-8")


def test_html_to_stdout(capsys: pytest.CaptureFixture[str], finished: str) -> None:
    code, out, err = cli(capsys, "export", finished, "-f", "html", "-o", "-")
    assert code == 0, err
    assert out.lower().startswith("<!doctype html>") and "</html>" in out


def test_docx_to_a_terminal_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], finished: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    code, out, err = cli(capsys, "export", finished, "-f", "docx", "-o", "-")
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "writeit: error: docx is binary: redirect stdout (> file.docx) or use -o FILE"
    ]


def test_docx_to_a_pipe_is_the_zip(finished: str, home: Path) -> None:
    """A real process, stdout a pipe: the bytes are a valid docx (nothing else on stdout)."""
    env = {**os.environ, "WRITEIT_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-m", "writeit", "export", finished, "-f", "docx", "-o", "-"],
        capture_output=True,
        env=env,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(BytesIO(done.stdout)) as docx:
        assert b"Event sourcing" in docx.read("word/document.xml")
    assert not (home / "exports").exists()


def test_the_configured_format_is_the_default(
    capsys: pytest.CaptureFixture[str], finished: str, home: Path
) -> None:
    (home / "config.yaml").write_text("export_format: docx\n")
    code, out, err = cli(capsys, "export", finished)
    assert code == 0, err
    assert Path(out.strip()) == home / "exports" / f"tech-article-{finished[:8]}.docx"
    assert zipfile.is_zipfile(out.strip())


@pytest.mark.parametrize("fmt", ["html", "docx"])
def test_without_pandoc_one_clear_line(
    capsys: pytest.CaptureFixture[str],
    finished: str,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
) -> None:
    monkeypatch.setitem(sys.modules, "pypandoc", None)  # as if the extra were not installed
    for target in ([], ["-o", "-"]):
        code, out, err = cli(capsys, "export", finished, "-f", fmt, *target)
        assert code == 1 and out == ""
        assert err.splitlines() == [NO_PANDOC.format(fmt=fmt)]  # no traceback
    assert not (home / "exports").exists()
