"""CPU time of groups of processes, read from /proc (Linux), for ``make bench``'s accounting.

A group is a list of selectors: a process id stands for that process and its descendants, with
the times of the descendants that have already exited and been waited for (the ``cutime`` and
``cstime`` of /proc/PID/stat), so that a gunicorn worker recycled after ``max_requests`` or a
PostgreSQL backend that closed its connection is still counted; ``"postgres:NAME"`` stands for
the PostgreSQL backends of database NAME seen on this machine (a cluster that is not the run's
own: its postmaster also serves others, and its exited backends cannot be told apart).
Only the standard library: bench/load.py, which imports nothing of the portal, uses it.
"""

from __future__ import annotations

import os

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _processes() -> dict[int, tuple[int, int, str]]:
    """Every process's parent, CPU ticks (own and its waited-for children's) and command name."""
    table = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return table
    for name in entries:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                line = stat.read()
            # The command name is in parentheses and may itself hold spaces and parentheses:
            # the numbered fields resume after the last ')'.
            opening, closing = line.index(b"("), line.rindex(b")")
            fields = line[closing + 2 :].split()
            # fields[0] is field 3 (state): ppid is field 4, utime, stime, cutime, cstime 14-17.
            ticks = sum(int(value) for value in fields[11:15])
            parent = int(fields[1])
        except (OSError, ValueError, IndexError):
            # Ended between the listing and the read, or not a stat line: left out (a group
            # whose root is left out is reported as a dash).
            continue
        table[int(name)] = (parent, ticks, line[opening + 1 : closing].decode(errors="replace"))
    return table


def _backends(table: dict, database: str) -> list[int]:
    """The PostgreSQL backends of ``database``: their command line reads ``postgres: USER
    DATABASE HOST(PORT) STATE`` (after a cluster name when one is set)."""
    found = []
    for pid, (_parent, _ticks, command) in table.items():
        if command != "postgres":
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                words = cmdline.read().replace(b"\0", b" ").decode(errors="replace").split()
        except OSError:
            continue
        if words[:1] == ["postgres:"] and database in words[1:4]:
            found.append(pid)
    return found


def snapshot(groups: dict[str, list]) -> dict[str, dict | None]:
    """CPU ticks (user and system) used so far by each group, by part: a tree's total under its
    root, each backend's own. None for a group a root of which is gone or unreadable, or whose
    backends are not found (a dash in the report)."""
    table = _processes()
    children: dict[int, list[int]] = {}
    for pid, (parent, _ticks, _command) in table.items():
        children.setdefault(parent, []).append(pid)
    totals: dict[str, dict | None] = {}
    for group, selectors in groups.items():
        parts: dict | None = {}
        for selector in selectors:
            if isinstance(selector, str) and selector.startswith("postgres:"):
                found = _backends(table, selector.partition(":")[2])
                if not found:
                    parts = None
                    break
                parts.update({pid: table[pid][1] for pid in found})
                continue
            root = int(selector)
            if root not in table:
                parts = None
                break
            ticks, stack, seen = 0, [root], set()
            while stack:
                pid = stack.pop()
                if pid not in seen:
                    seen.add(pid)
                    ticks += table[pid][1]
                    stack.extend(children.get(pid, ()))
            parts[f"tree {root}"] = ticks
        totals[group] = parts or None
    return totals


def spent(before: dict, after: dict) -> dict[str, float | None]:
    """The seconds of CPU each group used between two snapshots (None where either lacks it).
    A backend that appeared in between counts from zero; one that ended in between is lost
    (its times went to a postmaster that is not the run's own), so that figure is a floor."""
    seconds: dict[str, float | None] = {}
    for group, parts in after.items():
        earlier = before.get(group)
        if parts is None or earlier is None:
            seconds[group] = None
            continue
        seconds[group] = sum(ticks - earlier.get(key, 0) for key, ticks in parts.items()) / TICK
    return seconds
