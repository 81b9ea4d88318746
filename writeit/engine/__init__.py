"""The engine runs pipelines: fan-out, streaming into events, selection, branching.

The TUI and the CLI are thin faces over `Engine`; every action either can take is a call here.
"""
