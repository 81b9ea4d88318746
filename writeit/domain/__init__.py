"""Pure domain layer: models, events, state machines, pipeline loading, prompt rendering.

Nothing here performs I/O beyond reading a YAML file, uses asyncio, or imports Textual.
"""
