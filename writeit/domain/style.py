"""Style primers (`styles/*.yaml`): a voice the models are asked to write in."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from writeit.domain.yaml_source import read_yaml, validate_mapping


class Guidelines(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    avoid: tuple[str, ...] = ()
    prefer: tuple[str, ...] = ()


class StylePrimer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    name: str = Field(min_length=1)
    description: str = ""
    content: str = ""
    voice_attributes: tuple[str, ...] = ()
    example_openings: tuple[str, ...] = ()
    guidelines: Guidelines = Field(default_factory=Guidelines)

    def format_for_prompt(self) -> str:
        """The primer as a block of instructions placed where a template says `{{ style }}`."""
        parts = [f"Write in the style '{self.name}'."]
        if self.content.strip():
            parts.append(self.content.strip())
        if self.voice_attributes:
            parts.append("Voice: " + ", ".join(self.voice_attributes) + ".")
        if self.guidelines.prefer:
            parts.append("Prefer: " + "; ".join(self.guidelines.prefer) + ".")
        if self.guidelines.avoid:
            parts.append("Avoid: " + "; ".join(self.guidelines.avoid) + ".")
        if self.example_openings:
            parts.append(
                "Openings in this voice:\n" + "\n".join(f"- {o}" for o in self.example_openings)
            )
        return "\n".join(parts)


class LoadedStyle(BaseModel):
    model_config = ConfigDict(frozen=True)

    primer: StylePrimer
    source: str
    sha256: str
    path: str


def load_style(path: Path | str, text: str | None = None) -> LoadedStyle:
    """Load and validate a style primer; raise ValidationProblem listing `file:line: ...`."""
    src = read_yaml(path, text)
    primer = validate_mapping(src, StylePrimer, "a style")
    return LoadedStyle(primer=primer, source=src.text, sha256=src.sha256, path=str(path))
