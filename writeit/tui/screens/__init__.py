"""Screens of the WriteIt TUI."""
