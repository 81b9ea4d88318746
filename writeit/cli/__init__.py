"""The `writeit` command. Imports stay lazy so `writeit --version` starts instantly."""

from writeit.cli.main import main

__all__ = ["main"]
