"""The check reports of a mobilization task as an Excel workbook.

Written by governance.exports, the one writer of every export: user text (notes, answers,
names) is a string cell, never a formula, whatever it begins with. Rows stream from a chunked
iterator into openpyxl's write-only workbook, so a district's reports never sit in memory at
once.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from governance.exports import XLSX_CONTENT_TYPE, write_xlsx
from grids import checkforms
from grids import field_selectors as selectors
from grids.models import Capacity, MobilizationTask

CONTENT_TYPE = XLSX_CONTENT_TYPE


def write_reports(task: MobilizationTask):
    """Write every report of ``task`` to a temporary .xlsx file; returns it open at the start."""
    questions = task.questions
    capacities = selectors.capacities_of(task)
    capacity_labels = {value: str(label) for value, label in Capacity.choices}
    yes = _("Yes")
    headers = [
        (_("Community"), 14),
        (_("Grid"), 16),
        (_("Building"), 16),
        (_("Building code"), 20),
        (_("Household"), 12),
        (_("Checked by"), 10),
        (_("As"), 12),
        (_("Reported at"), 17),
        *[(q["label"], 16) for q in questions],
        (_("Note"), 30),
        (_("Photo"), 6),
    ]

    def row(report):
        target = report.target
        capacity = capacities.get((target.pk, report.reporter_id), "")
        return [
            target.community.name if target.community_id else "",
            target.grid.name if target.grid_id else "",
            target.building.name,
            target.building.code,
            report.household,
            report.reporter.display_name,
            capacity_labels.get(capacity, ""),
            report.created_at,
            *[checkforms.answer_text(q, report.answers.get(q["key"])) for q in questions],
            report.note,
            yes if report.photo else "",
        ]

    return write_xlsx(
        sheet_title=_("Check reports"),
        headers=[title for title, _width in headers],
        rows=(row(report) for report in selectors.export_rows(task)),
        widths=[width for _title, width in headers],
    )
