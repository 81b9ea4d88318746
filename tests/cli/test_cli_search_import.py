"""`writeit search` and `writeit import`, tried as a new user would: two homes (a laptop and a
desktop), a run exported on one and imported on the other, found by a word, then whole stores
merged, twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from writeit.cli import main


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_two_homes_export_import_search_and_merge(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    laptop, desktop = str(tmp_path / "laptop"), str(tmp_path / "desktop")
    code, out, err = cli(
        capsys, "--home", laptop, "run", "blog-post", "-i", "topic=Tidal lagoons", "--json"
    )
    assert code == 0, err
    run_id = json.loads(out)["run_id"]
    export = tmp_path / "tidal.yaml"
    assert cli(capsys, "--home", laptop, "export", run_id, "-o", str(export))[0] == 0

    code, out, err = cli(capsys, "--home", desktop, "import", str(export))
    assert (code, err) == (0, "") and f"added run {run_id}" in out
    code, out, _ = cli(capsys, "--home", desktop, "import", str(export))
    assert "0 added, 0 extended, 1 unchanged" in out
    again = tmp_path / "again.yaml"  # blog-post chooses an item: it comes back too
    assert cli(capsys, "--home", desktop, "export", run_id, "-o", str(again))[0] == 0
    assert again.read_text() == export.read_text() and "\n  item: " in export.read_text()

    code, out, _ = cli(capsys, "--home", desktop, "search", "lagoons")
    assert code == 0 and out.startswith(run_id[:8]) and "«lagoons»" in out.lower()
    code, out, _ = cli(capsys, "--home", desktop, "search", "lagoons", "--json")
    hits = json.loads(out)["hits"]
    assert hits and {h["run_id"] for h in hits} == {run_id}
    assert {h["kind"] for h in hits} >= {"topic", "response"}

    code, out, err = cli(capsys, "--home", laptop, "run", "blog-post", "-i", "topic=Kelp forests")
    assert code == 0, err
    code, out, err = cli(capsys, "--home", desktop, "import", "--store", laptop, "--json")
    merged = json.loads(out)
    assert code == 0 and len(merged["added"]) == 1, err
    # The run imported from its export has no prompts and one timestamp: its log is not the
    # laptop's, so it is left alone and the laptop's log comes over beside it, as a branch.
    (conflict,) = merged["conflicts"]
    assert conflict["run_id"] == run_id and "diverged at event 1" in conflict["why"]
    assert "rebuilt from its YAML export" in conflict["why"], "it says why it diverged"
    code, out, _ = cli(capsys, "--home", desktop, "import", "--store", laptop)
    assert out.strip().endswith("0 added, 0 extended, 2 unchanged, 0 conflicts, 0 skipped")

    before = cli(capsys, "--home", desktop, "search", "kelp", "--json")[1]
    code, out, _ = cli(capsys, "--home", desktop, "search", "--rebuild")
    assert out.strip() == "search index rebuilt from the log of 3 runs"
    assert cli(capsys, "--home", desktop, "search", "kelp", "--json")[1] == before


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["import"], "either an export FILE.yaml or --store"),
        (["import", "--store", "{home}"], "is this home"),
        (["import", "--store", "{tmp}/nowhere"], "not a WriteIt home"),
        (["import", "{tmp}/missing.yaml"], "cannot read"),
        (["search"], "give words to search for"),
    ],
)
def test_mistakes_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, home: Path, argv: list[str], words: str
) -> None:
    cli(capsys, "list")  # the home exists, as a user's would
    args = [a.format(home=home, tmp=tmp_path) for a in argv]
    code, out, err = cli(capsys, *args)
    assert code == 1 and out == "" and words in err and len(err.strip().splitlines()) == 1
