"""The check reports of a mobilization task as an Excel workbook.

Every cell of user text goes through :func:`text_cell`: it is written as a string cell, never as
a formula, and a value that a spreadsheet would read as one (it starts with =, +, -, @, a tab or
a carriage return: OWASP "CSV Injection") is marked with the quote prefix, which shows the text
as typed and keeps it text when the sheet is saved again. Rows stream from a chunked iterator
into openpyxl's write-only workbook, so a district's reports never sit in memory at once.
"""

from __future__ import annotations

import tempfile

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from grids import checkforms
from grids import field_selectors as selectors
from grids.models import Capacity, MobilizationTask

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(sheet, value) -> WriteOnlyCell:
    """A cell holding ``value`` as text: never a formula, whatever the text begins with."""
    text = "" if value is None else str(value)
    cell = WriteOnlyCell(sheet, value=text)
    # openpyxl reads a string starting with "=" as a formula: the type is set back explicitly.
    cell.data_type = "s"
    if text.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    return cell


def write_reports(task: MobilizationTask):
    """Write every report of ``task`` to a temporary .xlsx file; returns it open at the start."""
    questions = task.questions
    capacities = selectors.capacities_of(task)
    capacity_labels = {value: str(label) for value, label in Capacity.choices}
    yes = _("Yes")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Check reports"))
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
    for index, (_title, width) in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_row = []
    for title, _width in headers:
        cell = text_cell(sheet, title)
        cell.font = bold
        header_row.append(cell)
    sheet.append(header_row)
    for report in selectors.export_rows(task):
        target = report.target
        moment = WriteOnlyCell(
            sheet, value=timezone.localtime(report.created_at).replace(tzinfo=None)
        )
        moment.number_format = "yyyy-mm-dd hh:mm"
        capacity = capacities.get((target.pk, report.reporter_id), "")
        row = [
            text_cell(sheet, target.community.name if target.community_id else ""),
            text_cell(sheet, target.grid.name if target.grid_id else ""),
            text_cell(sheet, target.building.name),
            text_cell(sheet, target.building.code),
            text_cell(sheet, report.household),
            text_cell(sheet, report.reporter.display_name),
            text_cell(sheet, capacity_labels.get(capacity, "")),
            moment,
            *[
                text_cell(sheet, checkforms.answer_text(q, report.answers.get(q["key"])))
                for q in questions
            ],
            text_cell(sheet, report.note),
            text_cell(sheet, yes if report.photo else ""),
        ]
        sheet.append(row)
    # Returned open: the response streams it and closes (and so deletes) it.
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    workbook.save(handle)
    handle.seek(0)
    return handle
