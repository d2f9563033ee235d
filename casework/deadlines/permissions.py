"""Who may do what about a case's deadline. Each question is answered here once, for the pages
(which offer only what may be done) and the services (which refuse the rest). They read the
user's cached role assignments and the case in hand; only ``may_resume`` asks the database
(whether the case is suspended), and only of someone who could resume it."""

from __future__ import annotations

from casework.deadlines.models import SupervisionOrder
from casework.models import Case, Holder
from casework.selectors import center_role, holder_role
from casework.workflow import HOLDER_ROLES
from governance.scopes import department_role


def limit_runs(case: Case) -> bool:
    """A time limit runs on the case now: it is open, in a stage, and not suspended."""
    return case.is_open and case.stage is not None and case.due_at is not None


def may_ask_for_time(user, case: Case) -> bool:
    """Whoever holds the case asks for an extension or a suspension while its limit runs."""
    return limit_runs(case) and holder_role(user, case) is not None


def may_decide(user, case: Case) -> bool:
    """The center decides on requests about the cases in its scope."""
    return center_role(user, case) is not None


def may_resume(user, case: Case) -> bool:
    """The holder or the center lets the clock of a suspended case run again."""
    if not case.is_open:
        return False
    if holder_role(user, case) is None and center_role(user, case) is None:
        return False
    return case.is_suspended


def may_supervise(user, case: Case) -> bool:
    """The center issues supervision orders on open cases in its scope."""
    return case.is_open and center_role(user, case) is not None


def may_answer(user, order: SupervisionOrder, case: Case) -> bool:
    """Whoever holds the case now answers its order; so does the department the order went to,
    after the case has moved on."""
    if holder_role(user, case) is not None:
        return True
    if order.holder != Holder.DEPARTMENT:
        return False
    return department_role(user, order.department_id, HOLDER_ROLES[Holder.DEPARTMENT]) is not None
