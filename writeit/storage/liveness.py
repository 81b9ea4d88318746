"""Who streams a response: a process identified so that a reused pid cannot pass for it.

A pid alone is not an identity: containers restart at low pids, pid 1 always exists, and a
`writeit` started after a crash may even get the dead one's pid. An owner is therefore the pid
plus the moment that process started (the kernel's boot id and the start time in clock ticks
from `/proc/<pid>/stat`): a process that exists with that pid but started at another moment is
someone else, and the responses the owner left `streaming` are recovered as `interrupted`.
Where `/proc` is missing (not Linux) the start is unknown and liveness falls back to the pid.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@functools.cache
def _boot_id() -> str:
    """This boot's id: start ticks restart at zero after a reboot, so they are only comparable
    within one boot."""
    try:
        return (PROC / "sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def process_start(pid: int) -> str | None:
    """`boot_id:start_ticks` of the process `pid`, or None if it does not exist (or no /proc)."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # Field 2 (the command) is in parentheses and may hold spaces or ')': split after the last.
    fields = stat[stat.rfind(")") + 2 :].split()
    if len(fields) < 20:
        return None
    return f"{_boot_id()}:{fields[19]}"  # field 22 of the whole line: starttime


@functools.cache
def own_start() -> str | None:
    """This process's start, computed once (a process's start never changes)."""
    return process_start(os.getpid())


@dataclass(frozen=True)
class Owner:
    """The process that streams a response: pid, and its start when it could be read."""

    pid: int | None
    started: str | None = None

    @classmethod
    def current(cls) -> Owner:
        return cls(os.getpid(), own_start())

    def alive(self) -> bool:
        """Whether the owner is still running: the pid exists and, when its start was recorded,
        the process with that pid started at that moment (not a later one that reused it)."""
        if self.pid is None:
            return False
        if self.started is not None and PROC.is_dir():
            return process_start(self.pid) == self.started
        return pid_alive(self.pid)

    def describe(self) -> str:
        if self.pid is None:
            return "another process"
        if self.pid == os.getpid() and self.started in (None, own_start()):
            return "this process"
        return f"process {self.pid}"


def pid_alive(pid: int | None) -> bool:
    """Whether a process with this pid exists (signal 0 probes without signalling).

    Only a fallback: a reused pid passes. `Owner.alive` checks the start time as well.
    """
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
