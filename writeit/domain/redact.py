"""Keep secrets out of anything printed, logged or stored."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote

MIN_SECRET_LEN = 8
ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b."
)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# The userinfo of a URL (`http://user:SECRET@host`): credentials, whoever wrote them.
URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@?#]+@")


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


def known_secrets(
    environ: Mapping[str, str], key_names: Iterable[str], urls: Iterable[str]
) -> list[str]:
    """Every secret WriteIt knows of at start: credential variables (and those config names),
    and credentials written into a base_url or any URL the environment holds."""
    found = {*secret_values(environ, key_names), *url_secrets([*urls, *environ.values()])}
    return sorted(found, key=len, reverse=True)


def remember(secrets: list[str], value: str) -> bool:
    """Add a secret learned later (a key an api_key_command printed) to `secrets` in place;
    True when it is new."""
    if len(value) < MIN_SECRET_LEN or value in secrets:
        return False
    secrets.append(value)
    secrets.sort(key=len, reverse=True)
    return True


def url_secrets(values: Iterable[str]) -> list[str]:
    """The user names and passwords written into any of `values` that hold a URL
    (`http://user:SECRET@host`), long enough to be credentials."""
    found = []
    for value in values:
        for m in re.finditer(r"(?i)\b[a-z][a-z0-9+.-]*://([^/\s@?#]+)@", value):
            user, _, password = m.group(1).partition(":")
            for form in {user, password, unquote(user), unquote(password)}:  # as written, decoded
                if len(form) >= MIN_SECRET_LEN:
                    found.append(form)
    return sorted(set(found), key=len, reverse=True)


def redact_url(text: str) -> str:
    """Every URL's credentials replaced: `http://***@host/v1`."""
    return URL_CREDENTIALS.sub(r"\1***@", text)


def redact(text: str, secrets: Iterable[str]) -> str:
    """Known secret values, and any URL's credentials, replaced by `***` (for what is printed,
    logged or stored about an error or notice)."""
    return redact_url(replace_secrets(text, secrets))


def replace_secrets(text: str, secrets: Iterable[str]) -> str:
    for s in secrets:
        if s and s in text:
            text = text.replace(s, "***")
    return text


class StreamRedactor:
    """Redacts secret values from text that arrives in pieces: a key split across two chunks is
    still caught, because the end of a chunk that could begin a secret is held back until the
    next chunk (or `flush`) shows whether it does. Model text that merely mentions a URL is left
    as written; only known values are replaced."""

    def __init__(self, secrets: list[str] | tuple[str, ...]) -> None:
        self.secrets = secrets  # the engine's own list: a key learned mid-stream counts at once
        self.held = ""

    def feed(self, text: str) -> str:
        """The part of `held + text` that is safe to pass on now."""
        if not self.secrets:
            return text
        buf = replace_secrets(self.held + text, self.secrets)
        keep = self._partial(buf)
        self.held = buf[len(buf) - keep :] if keep else ""
        return buf[: len(buf) - keep]

    def flush(self) -> str:
        """What was held back (the stream ended: it never became a secret)."""
        out, self.held = self.held, ""
        return out

    def _partial(self, buf: str) -> int:
        """The length of the longest end of `buf` that begins some secret."""
        best = 0
        for secret in filter(None, self.secrets):
            for k in range(min(len(secret) - 1, len(buf)), best, -1):
                if buf.endswith(secret[:k]):
                    best = k
                    break
        return best


def strip_control(text: str) -> str:
    """Remove terminal control sequences from untrusted (model) text; keep newlines and tabs."""
    return CONTROL.sub("", ANSI.sub("", text.replace("\r\n", "\n")))
