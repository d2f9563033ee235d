"""Which department a case is likely dispatched to, as apps above casework know it (a compound's
property company, say). Casework asks, never imports them: an app registers a suggester in its
AppConfig.ready. The dispatch form pre-selects the first suggestion the dispatcher may choose;
the choice stays theirs."""

from __future__ import annotations

from collections.abc import Callable

from governance.models import Department

Suggester = Callable[[object], Department | None]

_suggesters: list[Suggester] = []


def register_department_suggester(suggester: Suggester) -> None:
    """``suggester(case)`` returns the department it suggests for ``case``, or None."""
    if suggester not in _suggesters:
        _suggesters.append(suggester)


def suggested_department(case) -> Department | None:
    """The first suggestion of the registered suggesters (None when none has one)."""
    for suggester in _suggesters:
        department = suggester(case)
        if department is not None:
            return department
    return None
