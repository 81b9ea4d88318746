"""Which models the installed SDKs mark deprecated, and when each reaches its end of life.

The SDKs are the freshest source a writer has offline: the Anthropic SDK ships a
`DEPRECATED_MODELS` table (model -> end-of-life date, e.g. "November 30th, 2026") and warns when
one is used; the OpenAI SDK lists "Deprecated values" with their announced shutdown dates in the
docstring of its `ChatModel` type. Importing either SDK costs 0.7-1.9 s, so this module reads
their source files as text (found with `importlib.util.find_spec`, which imports nothing) and
keeps the result for the life of the process. An SDK that is missing or laid out differently
simply yields no deprecations: a warning is a courtesy, never a reason to fail.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

from writeit.domain.config import Price

_DATED_SUFFIX = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8}|latest)$")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_LONG_DATE = re.compile(r"([A-Z][a-z]+)\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")
_SHUTDOWN = re.compile(r"shutdown\s+date:\s*(\d{4}-\d{2}-\d{2})", re.IGNORECASE)


@dataclass(frozen=True)
class Deprecation:
    """What an SDK says about one deprecated model; `end_of_life` None when it gives no date."""

    end_of_life: date | None
    source: str  # which SDK said so, e.g. "anthropic 2.12.0"


def parse_date(text: str) -> date | None:
    """`2026-11-30` or `November 30th, 2026` -> a date; None when neither form is found."""
    if m := _ISO_DATE.search(text):
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    if m := _LONG_DATE.search(text):
        try:
            return datetime.strptime(f"{m[1]} {m[2]} {m[3]}", "%B %d %Y").date()
        except ValueError:
            return None
    return None


def _package_dir(name: str) -> Path | None:
    """Where an installed top-level package lives, without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{name} {version(name)}"
    except PackageNotFoundError:
        return name


def _read(path: Path) -> str | None:
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def anthropic_deprecations(root: Path, source: str) -> dict[str, Deprecation]:
    """`DEPRECATED_MODELS` from the Anthropic SDK's `_data` (2.x) or its messages module."""
    for relative in ("_data/deprecated_models.py", "resources/messages/messages.py"):
        text = _read(root / relative)
        if text is None or "DEPRECATED_MODELS" not in text:
            continue
        for node in ast.parse(text).body:
            target, value = _assignment(node)
            if target == "DEPRECATED_MODELS" and value is not None:
                try:
                    table = ast.literal_eval(value)
                except ValueError:
                    continue
                if isinstance(table, dict):
                    return {
                        str(k): Deprecation(parse_date(str(v)), source) for k, v in table.items()
                    }
    return {}


def openai_deprecations(root: Path, source: str) -> dict[str, Deprecation]:
    """The "Deprecated values" listed under the OpenAI SDK's `ChatModel` type.

    Each entry reads `- "gpt-4o", "gpt-4o-mini": Announced shutdown date: 2027-01-14. ...`;
    entries without a date (e.g. "Not a supported model ID") are deprecated with no end of life.
    """
    text = _read(root / "types/shared/chat_model.py")
    if text is None:
        return {}
    body = ast.parse(text).body
    doc = ""
    for node, after in zip(body, [*body[1:], None], strict=True):
        if (
            _assignment(node)[0] == "ChatModel"
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            doc = after.value.value
    if "Deprecated values" not in doc:
        return {}
    found: dict[str, Deprecation] = {}
    for entry in re.split(r"\n\s*-\s+", doc)[1:]:
        flat = " ".join(entry.split())
        names, _, rest = flat.partition('": ')
        when = _SHUTDOWN.search(rest)
        end = parse_date(when[1]) if when else None
        for name in re.findall(r'"([^"]+)"', names + '"'):
            found[name] = Deprecation(end, source)
    return found


def _assignment(node: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return (target.id if isinstance(target, ast.Name) else None), node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.value
    return None, None


@cache
def sdk_deprecations(sdk: str) -> Mapping[str, Deprecation]:
    """Deprecated models of the installed `openai` or `anthropic` SDK (empty if not found)."""
    root = _package_dir(sdk)
    if root is None:
        return {}
    if sdk == "anthropic":
        return anthropic_deprecations(root, _version(sdk))
    if sdk == "openai":
        return openai_deprecations(root, _version(sdk))
    return {}


def find_deprecation(sdk: str, model: str) -> Deprecation | None:
    """The SDK's word on `model`, trying its dated snapshot's family name too."""
    table = sdk_deprecations(sdk)
    found = table.get(model)
    if found is None and (base := _DATED_SUFFIX.sub("", model)) != model:
        found = table.get(base)
    return found


@dataclass(frozen=True)
class ModelStatus:
    """What a writer should know about a model before a run uses it.

    `deprecated`: its SDK marks it so; `end_of_life`: the date it stops working (if announced);
    `retired`: that date has come, so a run on it is refused; `replacement`: a current model of
    the same provider to use instead; `price`: list price per million tokens, None if unknown.
    """

    ref: str
    deprecated: bool = False
    end_of_life: date | None = None
    retired: bool = False
    replacement: str | None = None
    price: Price | None = None
    price_source: str | None = None  # "config" (pricing:), "genai-prices", "offline"

    @property
    def priced(self) -> bool:
        return self.price is not None

    def price_summary(self) -> str:
        """`$0.75 in, $4.50 out, $0.075 cached in per 1M tokens`, or `price unknown`."""
        if self.price is None:
            return "price unknown"
        p = self.price
        if p.input == p.output == 0:
            return "free"
        parts = [f"${_money(p.input)} in", f"${_money(p.output)} out"]
        if p.cache_read is not None:
            parts.append(f"${_money(p.cache_read)} cached in")
        if p.cache_write is not None:
            parts.append(f"${_money(p.cache_write)} cache write")
        return ", ".join(parts) + " per 1M tokens"

    def lifecycle_summary(self, today: date) -> str:
        """`current`, `deprecated, end of life 2027-01-14 (in 52 days)`, or `retired on ...`."""
        if self.retired:
            return f"retired on {self.end_of_life}" if self.end_of_life else "retired"
        if not self.deprecated:
            return "current"
        if self.end_of_life is None:
            return "deprecated"
        days = (self.end_of_life - today).days
        return f"deprecated, end of life {self.end_of_life} (in {days} day{'s' * (days != 1)})"


def _money(value: float) -> str:
    """Two decimals, more only when the rate needs them: 3.00, 0.75, 0.075."""
    text = f"{value:.4f}".rstrip("0")
    return f"{value:.2f}" if len(text.split(".")[1]) <= 2 else text
