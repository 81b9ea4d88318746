"""Long-form drafting: one call per outline section, every section at once (issue 11).

A `long-article` run on the offline models at a fixed token rate (WRITEIT_OFFLINE_TPS, the
same for every stream; the offline provider sets no concurrency limit, as a provider that
allows it would not) gets a seven-section outline. The figure divides the wall time of its
drafting step (2 models x 7 sections, 14 streams) by that of drafting one section alone (2
streams), taking the longest single section so that the ratio measures what fanning out costs,
not which section happens to be longest. Details say whether the article's level-2 headings
are exactly the outline's and whether every section stayed under the step's max_tokens.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import log, median, rnd

MODE_SETTINGS = {
    "tiny": {"tps": 0, "reps": 1},
    "quick": {"tps": 150, "reps": 2},
    "full": {"tps": 150, "reps": 5},
}
INPUTS = {"topic": "SQLite in production"}


async def _measure(home: Path, reps: int) -> dict[str, Any]:
    from writeit.domain.outline import parse_sections, sections_markdown
    from writeit.engine import Engine

    with Engine.open(home) as engine:
        run = engine.start_run("long-article", INPUTS)
        await engine.run_step(run.run_id)
        engine.pick(run.run_id, 0, item=0)
        await engine.run_step(run.run_id)
        engine.pick(run.run_id, 0)
        outline = engine.load(run.run_id).steps["outline"].content or ""
        sections = parse_sections(outline)
        whole: list[float] = []
        single: list[float] = []
        drafted = None
        for _ in range(reps):
            child = engine.branch(run.run_id, "draft")
            start = time.perf_counter()
            drafted = await engine.run_step(child, "draft")
            whole.append(time.perf_counter() - start)
            longest = 0.0
            for section in sections:
                alone = engine.branch(run.run_id, "draft")
                engine.edit(alone, sections_markdown(None, [section]), step="outline")
                start = time.perf_counter()
                await engine.run_step(alone, "draft")
                longest = max(longest, time.perf_counter() - start)
            single.append(longest)
        assert drafted is not None
        target = engine.accept_all(drafted.run_id)
        article = engine.load(target).steps["draft"].content or ""
        heads = [ln[3:] for ln in article.splitlines() if ln.startswith("## ")]
        limit = 2500  # the draft step's max_tokens in long-article.yaml
        tokens = [r.usage.output_tokens for r in drafted.steps["draft"].responses.values()]
        await engine.aclose()
    ratio = median(whole) / median(single)
    return {
        "longform.section_fanout_ratio": rnd(ratio, 3),
        "details": {
            "sections": len(sections),
            "streams": len(tokens),
            "tokens_per_s_per_stream": os.environ.get("WRITEIT_OFFLINE_TPS"),
            "draft_7_sections_s": rnd(median(whole), 3),
            "longest_single_section_s": rnd(median(single), 3),
            "headings_match_outline": heads == [s.title for s in sections],
            "max_section_output_tokens": max(tokens),
            "max_tokens": limit,
            "article_words": len(article.split()),
        },
    }


def run(mode: str) -> dict[str, Any]:
    s = MODE_SETTINGS[mode]
    os.environ["WRITEIT_OFFLINE_TPS"] = str(s["tps"])
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        os.environ.pop(key, None)  # the offline models: no network, a fixed pace
    log(f"longform: 2 offline models x 7 sections at {s['tps']} tok/s, {s['reps']} reps")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        out = asyncio.run(_measure(Path(tmp), s["reps"]))
        log(f"longform: done in {time.perf_counter() - start:.1f}s")
        return out
