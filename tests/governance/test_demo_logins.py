"""manage.py demo_logins: every login with its role and scope, or those of one role."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def _run(*args) -> list[str]:
    out = StringIO()
    call_command("demo_logins", *args, stdout=out)
    return out.getvalue().splitlines()


def test_it_lists_every_login_with_role_and_scope(cast, tree):
    lines = _run()
    assert lines[0].startswith("root ") and "superuser" in lines[0]
    worker = next(line for line in lines if line.startswith("worker_a "))
    assert tree.grid_a1.name in worker
    assert lines[-1] == f"{len(lines) - 1} logins."
    assert not any(line.startswith("nobody ") for line in lines)


def test_it_lists_one_role(cast):
    lines = _run("--role", "community_dispatcher")
    assert [line.split()[0] for line in lines[:-1]] == ["dispatcher_a", "dispatcher_b"]
    with pytest.raises(CommandError):
        _run("--role", "mayor")
