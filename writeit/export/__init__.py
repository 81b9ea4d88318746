"""Export a run as YAML (the shape in DESIGN.md) or Markdown (the article plus its making-of)."""
