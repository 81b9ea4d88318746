"""Widgets of the WriteIt TUI."""
