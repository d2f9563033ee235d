"""The case list as an Excel workbook, written by governance.exports (text never a formula).

openpyxl's write-only mode streams rows to a temporary file instead of building the sheet in
memory, and the rows come from a chunked iterator: an export of tens of thousands of cases holds
one chunk of cases at a time. The file is deleted when the response closes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import itemgetter

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from casework.models import OPEN_STATUSES, Case, Holder, Priority, Satisfaction, Source, Status
from governance.exports import XLSX_CONTENT_TYPE, write_xlsx

CONTENT_TYPE = XLSX_CONTENT_TYPE
# About 20 s of writing on one core; a larger export must be narrowed by the filters.
MAX_ROWS = 20_000


def _labels(choices) -> dict[str, str]:
    # Translated once per export: get_FOO_display() resolves the lazy labels on every call.
    return {value: str(label) for value, label in choices}


def _columns() -> list[tuple[str, int, Callable[[dict], object]]]:
    # The columns depend on nothing but the language (the time zone is read when a date is
    # written): built once per language and process rather than for every export, whose
    # twenty-odd translations were a twentieth of a one-row export's CPU.
    language = get_language()
    if language not in _COLUMNS:
        _COLUMNS[language] = _build_columns()
    return _COLUMNS[language]


_COLUMNS: dict[str | None, list[tuple[str, int, Callable[[dict], object]]]] = {}


def _build_columns() -> list[tuple[str, int, Callable[[dict], object]]]:
    local = timezone.localtime
    status = _labels(Status.choices)
    source = _labels(Source.choices)
    priority = _labels(Priority.choices)
    holder = _labels(Holder.choices)
    satisfaction = _labels(Satisfaction.choices)
    yes = _("Yes")
    shown = Case.reporter_shown_of

    def moment(value):
        return local(value).replace(tzinfo=None) if value else None

    return [
        (_("Number"), 14, itemgetter("number")),
        (_("Title"), 30, itemgetter("title")),
        (_("Status"), 10, lambda c: status.get(c["status"], c["status"])),
        (_("Category"), 12, lambda c: c["category__parent__name"] or ""),
        (_("Sub-category"), 14, itemgetter("category__name")),
        (_("Community"), 14, lambda c: c["community__name"] or ""),
        (_("Grid"), 16, lambda c: c["grid__name"] or ""),
        (_("Area"), 16, itemgetter("area__name")),
        (_("Address"), 24, itemgetter("address")),
        (_("Source"), 12, lambda c: source.get(c["source"], c["source"])),
        (_("Priority"), 8, lambda c: priority.get(c["priority"], c["priority"])),
        (_("Held by"), 10, lambda c: holder.get(c["holder"], "") if c["holder"] else ""),
        (_("Department"), 14, lambda c: c["department__name"] or ""),
        (_("Reported at"), 17, lambda c: moment(c["reported_at"])),
        (_("Due"), 17, lambda c: moment(c["due_at"]) if c["status"] in OPEN_STATUSES else None),
        (_("Closed at"), 17, lambda c: moment(c["closed_at"])),
        (_("Reporter"), 10, lambda c: shown(c["reporter_name"], c["reporter"])),
        (_("Resolved on the spot"), 8, lambda c: yes if c["resolved_on_spot"] else ""),
        (_("Reworks"), 6, itemgetter("rework_count")),
        (_("Satisfaction"), 10, lambda c: satisfaction.get(c["satisfaction"], "")),
        (_("Handling result"), 30, itemgetter("result")),
    ]


def write_cases(cases: Iterable[dict]):
    """Write ``cases`` (rows of ``page_selectors.export_rows``) to a temporary .xlsx file; returns it open for reading at the start.
    Every cell goes through governance.exports: user text (titles, addresses, names, results)
    is written as text, never as a formula."""
    columns = _columns()
    return write_xlsx(
        sheet_title=_("Cases"),
        headers=[title for title, _width, _value in columns],
        rows=([value(case) for _title, _width, value in columns] for case in cases),
        widths=[width for _title, width, _value in columns],
    )
