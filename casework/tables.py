"""The rows of the case tables (the list page, the inboxes), drawn in Python.

Drawn by the template engine, 25 rows of seven cells cost a list page about a third of its CPU
(issue 15: a variable lookup, a filter or a translation per cell, an include per status). These
functions write the markup ``templates/casework/_case_table.html`` wrote in its row loop, byte
for byte (checked in tests/casework/test_case_table.py against that template, kept there), with
every value escaped and the labels translated once per table, not once per cell.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, pgettext

from casework import clock
from casework.models import Case, Holder, Priority, Status
from governance import workclock

# A case number that no real key looks like: reverse() once per table, the key put in per row.
_KEY = "987654321"


def annotate(cases: Iterable[Case], now: datetime) -> list[Case]:
    """The cases as a list, each with ``remaining`` (time left in words) and ``is_new_now``."""
    rows = list(cases)
    with workclock.synced_once():
        for case in rows:
            case.remaining = clock.remaining(case, now)
            case.is_new_now = case.is_new(now)
    return rows


def _local(value: datetime, zone=None) -> str:
    # As {{ value|date:"m-d H:i" }} (in the current time zone), without parsing the format
    # for every cell: m, d, H and i are the zero-padded month, day, 24-hour hour and minute.
    return timezone.localtime(value, zone).strftime("%m-%d %H:%M")


def rows_html(cases: list[Case], now: datetime) -> SafeString:
    """The ``<tr>`` of each case of :func:`annotate`, as the table's row loop wrote them."""
    detail = reverse("casework:detail", args=[_KEY])
    label = {
        key: escape(text)
        for key, text in {
            "status": gettext("Status"),
            "category": gettext("Category"),
            "where": gettext("Where"),
            "held": gettext("Held by"),
            "reported": gettext("Reported"),
            "left": gettext("Time left"),
        }.items()
    }
    new = escape(pgettext("case", "New"))  # outside the f-string, where makemessages finds it
    new_tag = f'<span class="tag tag-new">{new}</span>'
    # The choices' labels are lazy, and so is escape() of a lazy string: str() first, or each
    # row would translate its labels again.
    statuses = {value: escape(str(text)) for value, text in Status.choices}
    priorities = {value: escape(str(text)) for value, text in Priority.choices}
    holders = {value: escape(str(text)) for value, text in Holder.choices}
    zone = timezone.get_current_timezone()  # once, not a thread-local lookup per cell
    nothing = '<span class="muted">—</span>'
    parts = []
    for case in cases:
        overdue = case.is_overdue(now)
        priority = ""
        if case.priority != Priority.NORMAL:
            shown = priorities.get(case.priority, escape(case.priority))
            priority = f'<span class="prio prio-{escape(case.priority)}">{shown}</span>'
        community = case.community
        where = f'<span class="nowrap">{escape(case.area.name)}</span>'
        if community and community.pk != case.area.pk:
            where = f'<span class="muted">{escape(community.name)} · </span>{where}'
        if case.department and case.holder == Holder.DEPARTMENT:
            held = escape(case.department.name)
        elif case.holder:
            held = holders.get(case.holder, escape(case.holder))
        else:
            held = nothing
        if case.remaining:
            late = " due-late" if overdue else ""
            left = f'<span class="due{late}">{conditional_escape(case.remaining)}</span>'
        elif case.status == Status.HANDLED and case.handled_at:
            text = gettext("handled %(t)s, to verify") % {
                "t": escape(_local(case.handled_at, zone))
            }
            left = f'<span class="muted small">{text}</span>'
        else:
            left = nothing
        status = escape(case.status)
        parts.append(
            f'\n    <tr class="{"is-overdue" if overdue else ""}">\n'
            f'      <td class="cell-title">\n'
            f"        {new_tag if case.is_new_now else ''}\n"
            f'        <a href="{detail.replace(_KEY, str(case.pk))}">{escape(case.title)}</a>\n'
            f'        <span class="case-number">{escape(case.number)}</span>\n'
            f"        {priority}\n"
            f"      </td>\n"
            f'      <td data-label="{label["status"]}"><span class="status status-{status}">'
            f"{statuses.get(case.status, status)}</span>\n</td>\n"
            f'      <td data-label="{label["category"]}">{escape(case.category.name)}</td>\n'
            f'      <td data-label="{label["where"]}">{where}</td>\n'
            f'      <td data-label="{label["held"]}">{held}</td>\n'
            f'      <td class="nowrap" data-label="{label["reported"]}">'
            f"{escape(_local(case.reported_at, zone))}</td>\n"
            f'      <td data-label="{label["left"]}">{left}</td>\n'
            f"    </tr>\n  "
        )
    return mark_safe("".join(parts))
