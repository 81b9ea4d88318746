"""OSC 52 clipboard sequences, as bytes a terminal (or tmux, or screen) understands.

Pure: what to write is decided from the text and the environment alone, so tests read the
exact sequence. Textual's own `copy_to_clipboard` writes one bare OSC 52, which tmux drops
unless `set-clipboard on`, and GNU screen truncates; over SSH inside tmux that means silence.

- Bare terminal: `ESC ] 52 ; c ; BASE64 BEL`.
- tmux (`TMUX` set): the bare sequence (tmux takes it when `set-clipboard on`) and the same
  sequence passed through to the outer terminal (`ESC P tmux; ... ESC \\`, every ESC inside
  doubled), which tmux forwards when `allow-passthrough on` (tmux >= 3.3).
- GNU screen (`STY` set, not in tmux): screen passes a DCS of at most 768 bytes, so the bare
  sequence is cut into 76-byte pieces, each wrapped in its own `ESC P ... ESC \\`.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass

ESC = "\x1b"
BEL = "\x07"
ST = ESC + "\\"
SCREEN_CHUNK = 76  # bytes of sequence per screen DCS piece (screen's limit is 768)
MAX_ENCODED = 1_000_000  # base64 bytes; tmux's input buffer and many terminals stop near here


@dataclass(frozen=True)
class Clip:
    """What to write for one copy, and how the writer should be told it travelled."""

    sequence: str  # empty when the text cannot be sent (`refused` says why)
    via: str  # "OSC 52", "OSC 52 through tmux", "OSC 52 through screen (12 pieces)"
    refused: str | None = None


def bare(payload: str) -> str:
    """The plain OSC 52 sequence setting the clipboard (`c`) to base64 `payload`."""
    return f"{ESC}]52;c;{payload}{BEL}"


def tmux_passthrough(sequence: str) -> str:
    """`sequence` wrapped for tmux's DCS passthrough: every ESC inside is doubled."""
    return f"{ESC}Ptmux;{sequence.replace(ESC, ESC + ESC)}{ST}"


def screen_pieces(sequence: str, size: int = SCREEN_CHUNK) -> list[str]:
    """`sequence` cut into DCS pieces GNU screen passes on whole."""
    return [f"{ESC}P{sequence[i : i + size]}{ST}" for i in range(0, len(sequence), size)]


def clip(text: str, environ: Mapping[str, str]) -> Clip:
    """The bytes that put `text` on the clipboard of the terminal `environ` describes."""
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    if len(payload) > MAX_ENCODED:
        return Clip(
            "",
            "OSC 52",
            f"{len(text.encode('utf-8')) // 1024} KB is more than terminals accept "
            f"through OSC 52 (about {MAX_ENCODED * 3 // 4 // 1024} KB)",
        )
    sequence = bare(payload)
    if environ.get("TMUX"):
        return Clip(sequence + tmux_passthrough(sequence), "OSC 52 through tmux")
    if environ.get("STY"):
        pieces = screen_pieces(sequence)
        return Clip("".join(pieces), f"OSC 52 through screen ({len(pieces)} pieces)")
    return Clip(sequence, "OSC 52")
