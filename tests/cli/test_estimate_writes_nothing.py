"""`writeit run --estimate` on a new home prints the estimate and leaves no store behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from writeit.cli import main


def test_an_estimate_on_a_new_home_makes_no_store(
    capsys: pytest.CaptureFixture[str], home: Path
) -> None:
    code = main(["run", "tech-article", "--estimate", "-i", "topic=tides"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "no history: up to max_tokens" in out and "total" in out
    assert not (home / "writeit.lmdb").exists()
    assert main(["list"]) == 0  # the home still works; the first real command makes the store
    assert "no runs yet" in capsys.readouterr().out
    assert (home / "writeit.lmdb" / "data.mdb").exists()
