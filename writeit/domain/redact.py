"""Keep secrets out of anything printed, logged or stored."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MIN_SECRET_LEN = 8
ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b."
)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def secret_values(environ: Mapping[str, str], extra_names: Iterable[str] = ()) -> list[str]:
    """Values of every variable that looks like a credential (or is named in config)."""
    names = set(extra_names)
    found = [
        v
        for k, v in environ.items()
        if (k in names or k.endswith(("_API_KEY", "_TOKEN", "_SECRET")))
        and len(v) >= MIN_SECRET_LEN
    ]
    return sorted(found, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str]) -> str:
    for s in secrets:
        if s and s in text:
            text = text.replace(s, "***")
    return text


def strip_control(text: str) -> str:
    """Remove terminal control sequences from untrusted (model) text; keep newlines and tabs."""
    return CONTROL.sub("", ANSI.sub("", text.replace("\r\n", "\n")))
