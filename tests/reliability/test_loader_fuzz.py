"""The pipeline loader on hostile input: it raises ValidationProblem or returns, and never hangs.

Pipelines are files people download and share, so the loader sees arbitrary text: broken YAML,
wrong shapes, anchors and aliases that expand exponentially ("billion laughs"), deep nesting,
Python tags, non-UTF-8 bytes. Anything but a clean `file:line: message` problem is a bug.
"""

from __future__ import annotations

import signal
import string
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from writeit.domain.errors import ValidationProblem
from writeit.domain.pipeline import load_pipeline

# A hang fails the test instead of stalling CI. It is a guard, not a speed assertion (unit tests
# assert no wall-clock figures): the bombs took minutes before the fix, and a loaded CI box can
# take a few seconds on the largest documents.
HARD_LIMIT_S = 15
EXAMPLES = {"text": 0, "yamlish": 0, "mutated": 0}

GOOD = Path(__file__).resolve().parents[2] / "writeit" / "pipelines" / "tech-article.yaml"


@contextmanager
def hard_limit(seconds: int = HARD_LIMIT_S) -> Iterator[None]:
    def boom(*_: object) -> None:
        raise TimeoutError(f"load_pipeline still running after {seconds}s")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def check_loader(text: str) -> None:
    """Load `text`; only ValidationProblem may escape, with file:line problems, and no hang."""
    with hard_limit():
        try:
            loaded = load_pipeline(Path("fuzz.yaml"), text=text)
        except ValidationProblem as exc:
            assert exc.problems, "a ValidationProblem with no problems"
            for p in exc.problems:
                assert p.startswith("fuzz.yaml:"), p
                assert p.split(":")[1].isdigit(), p
        else:
            assert len(loaded.config.steps) >= 2


def laughs(levels: int, width: int = 10, where: str = "steps") -> str:
    """An alias bomb: `width ** levels` nodes once expanded, a few hundred bytes as text."""
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    lines.append(f"{where}: *a{levels - 1}")
    return "\n".join(lines) + "\n"


BOMBS = {
    "laughs-steps": laughs(9),
    "laughs-inputs": laughs(9, where="inputs"),
    "laughs-choices": "name: p\ninputs:\n  - name: t\n    type: choice\n    choices: *a8\n"
    + laughs(9, where="x").replace("x: *a8\n", ""),
    "laughs-models": laughs(9, where="defaults: {models: *a8}\nz").replace("z: *a8\n", ""),
    "laughs-dict": "a0: &a0 {k: v, l: w}\n"
    + "".join(f"a{i}: &a{i} {{a: *a{i - 1}, b: *a{i - 1}, c: *a{i - 1}}}\n" for i in range(1, 14))
    + "defaults: *a13\n",
    "deep-list": "[" * 3000 + "]" * 3000,
    "deep-map": "a: " + "{b: " * 3000 + "1" + "}" * 3000,
    "deep-block": "".join("  " * i + f"k{i}:\n" for i in range(400)) + "  " * 400 + "v\n",
    "python-tag": "!!python/object/apply:os.system ['echo pwned']\n",
    "python-name": "name: !!python/name:os.system\n",
    "long-line": "name: " + "x" * 2_000_000 + "\n",
    "many-keys": "".join(f"k{i}: {i}\n" for i in range(5_000)),
    "nul": "name: a\x00b\n",
    "bom": "\ufeffname: x\n",
    "tabs": "name:\tx\n\tinputs: []\n",
    "huge-int": f"name: p\ndefaults: {{max_tokens: {10**4000}}}\n",
    "merge-key": "base: &b {name: t}\ninputs:\n  - <<: *b\n    <<: *b\n",
    "templates": "name: p\ninputs: [{name: t}]\nsteps:\n  - {name: a, prompt: '{{{{{{ }}}}}} {{ steps.a.selected }}'}\n"
    "  - {name: b, prompt: '{{ steps.b.selected }} {{ inputs. }} {{ x.y.z.w }}'}\n",
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_hostile_documents_are_problems_not_hangs(name: str) -> None:
    check_loader(BOMBS[name])


def test_the_shipped_pipeline_still_loads() -> None:
    check_loader(GOOD.read_text())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
@example("")
@example("---\n...\n")
@example("- a\n- b\n")
@example("name: [unclosed\n")
def test_random_text(text: str) -> None:
    EXAMPLES["text"] += 1
    check_loader(text)


KEYS = [
    "name",
    "description",
    "defaults",
    "inputs",
    "steps",
    "prompt",
    "models",
    "responses",
    "type",
    "required",
    "default",
    "choices",
    "help",
    "temperature",
    "max_tokens",
    "extra",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "tech",
            "",
            "offline:writer",
            "openai:gpt-4o-mini",
            "bad model",
            "a:b:c",
            "{{ inputs.topic }}",
            "{{ steps.a.selected }}",
            "{{ steps.zz.feedback }}",
            "{{ style }}",
            "{{",
            "}}",
            "text",
            "choice",
            "multiline",
            "../../etc",
            "\x1b[2J",
        ]
    ),
    st.text(alphabet=string.printable, max_size=20),
)
YAMLISH = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), children, max_size=6),
    ),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(YAMLISH)
def test_random_pipeline_shapes(data: object) -> None:
    EXAMPLES["yamlish"] += 1
    check_loader(yaml.safe_dump(data, sort_keys=False))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10_000),
            st.integers(min_value=0, max_value=6),
            st.sampled_from(
                ["", ":", "- ", "  ", "\t", "&x ", "*x", "{", "[", "'", '"', "\n", "!!"]
            ),
        ),
        max_size=6,
    )
)
def test_mutated_real_pipeline(edits: list[tuple[int, int, str]]) -> None:
    """The shipped pipeline with characters cut and inserted: syntax and shape errors galore."""
    EXAMPLES["mutated"] += 1
    text = GOOD.read_text()
    for pos, cut, insert in edits:
        pos %= len(text) + 1
        text = text[:pos] + insert + text[pos + cut :]
    check_loader(text)


def test_report_examples_run() -> None:
    """Runs last in this module: how many generated documents the loader saw."""
    print(f"\nloader fuzz examples: {EXAMPLES}")
