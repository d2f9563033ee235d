"""Every spreadsheet and CSV file the portal writes goes through here.

One rule (OWASP "CSV Injection"): a cell of text that starts with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return is never run as a formula. In .xlsx files every text cell is stored as
a string cell, and such a cell also carries the quote prefix, so that the sheet shows the text
exactly as typed and keeps it text when it is edited and saved again; in CSV files (which have
no cell types) it is written with a leading apostrophe. Numbers, dates and booleans are written
as they are. Personal data is masked before it
gets here (see governance.privacy); this module only writes.

Files are streamed: the .xlsx writer is openpyxl's write-only mode into a temporary file, the CSV
writer a generator; neither holds the whole sheet in memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import stat
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from functools import lru_cache
from urllib.parse import quote

from django.http import FileResponse, StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.styles.cell_style import StyleArray
from openpyxl.styles.stylesheet import write_stylesheet
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.xml.constants import ARC_CORE, ARC_STYLE
from openpyxl.xml.functions import tostring

XLSX = "xlsx"
CSV = "csv"
FORMATS = (XLSX, CSV)
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value):
    """``value`` as a spreadsheet cell that can never be a formula (see the module docstring)."""
    if isinstance(value, str):
        if value.startswith(FORMULA_PREFIXES):
            return "'" + value
        return value
    if value is None or isinstance(value, bool | int | float | Decimal | dt.date | dt.datetime):
        return value
    return text_cell(str(value))


def untext_cell(value):
    """The inverse, for imports: a text cell that was written with the leading apostrophe (an
    export of the portal, or a spreadsheet typed that way) is read without it."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def _plain(value):
    """Timezone-aware datetimes are local and naive in a spreadsheet."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        from django.utils import timezone

        return timezone.localtime(value).replace(tzinfo=None)
    return value


def write_xlsx(
    *,
    sheet_title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    widths: Sequence[int] | None = None,
    text_columns: Sequence[int] = (),
):
    """Write an .xlsx file; returns it open for reading at the start (a temporary file, deleted
    when closed). ``text_columns`` (0-based) are formatted as text, so that numbers typed into
    them later (ID numbers, phones) keep their digits."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31])
    sheet._values_to_row = _cells_to_row
    for index, width in enumerate(widths or [14] * len(headers)):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    for index in text_columns:
        sheet.column_dimensions[get_column_letter(index + 1)].number_format = "@"
    sheet.freeze_panes = "A2"
    sheet._writer = _sheet_writer(sheet)
    sheet._writer.write_top()
    sheet.append(_bold(sheet, [xlsx_cell(sheet, str(title)) for title in headers]))
    for row in rows:
        sheet.append([xlsx_cell(sheet, value) for value in row])
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - returned open
    _save(workbook, sheet, handle)
    handle.seek(0)
    return handle


# A sheet's XML is kept in memory up to this size, then in a temporary file: a one-row export's
# is 3 kB, one of MAX_ROWS cases about 10 MB.
SHEET_IN_MEMORY = 1 << 20


def _sheet_writer(sheet) -> WorksheetWriter:
    """openpyxl's writer of ``sheet``'s XML, into a spooled temporary file rather than the named
    temporary file openpyxl creates, closes, reopens for the archive and removes (0.35 ms of CPU
    and about 4 ms of waiting for the file system a one-row export; openpyxl also keeps every
    such name in a list for the process's life)."""
    return WorksheetWriter(sheet, out=tempfile.SpooledTemporaryFile(max_size=SHEET_IN_MEMORY))


def _save(workbook: Workbook, sheet, handle) -> None:
    """``workbook.save(handle)`` for the workbooks of :func:`write_xlsx` (write-only, one sheet,
    cells and column widths): the same parts in the same order, but the parts that depend on
    nothing but the sheet's title (the workbook, its relationships, the content types, the
    application's properties and the theme) come from :func:`_template_parts`, and the
    stylesheet from :func:`_stylesheet`; only the sheet and the document's times are new.
    openpyxl's save builds every part from its objects each time: 2.7 of a one-row case
    export's 5 ms, 1.3 ms of it the parts kept here."""
    sheet._id = 1  # as openpyxl numbers the sheets when it saves: the sheet's part's name
    sheet.close()
    workbook.properties.modified = dt.datetime.now(tz=dt.UTC).replace(tzinfo=None)
    sheet_part = sheet.path[1:]
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for name, data in _template_parts(sheet.title).items():
            if name == sheet_part:
                _write_sheet(archive, name, sheet._writer.out)
            elif name == ARC_CORE:
                archive.writestr(name, tostring(workbook.properties.to_tree()))
            elif name == ARC_STYLE:
                archive.writestr(name, _stylesheet(workbook))
            else:
                archive.writestr(name, data)
    sheet._writer.out.close()


def _write_sheet(archive: zipfile.ZipFile, name: str, out) -> None:
    """``out`` (the sheet's spooled XML) into ``archive`` as ``name``, with the entry
    ``archive.write`` makes of openpyxl's temporary file (a file of mode 0600, written now)."""
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.external_attr = (stat.S_IFREG | 0o600) << 16
    info.compress_type = archive.compression
    info._compresslevel = archive.compresslevel
    info.file_size = out.seek(0, io.SEEK_END)
    out.seek(0)
    with archive.open(info, "w") as entry:
        shutil.copyfileobj(out, entry, 1024 * 8)


@lru_cache(maxsize=32)
def _template_parts(title: str) -> dict[str, bytes]:
    """The parts of an empty write-only workbook of one sheet named ``title``, as openpyxl saves
    it, in its order (a few titles a process: the exports' sheet names, a statistics table's
    area)."""
    workbook = Workbook(write_only=True)
    workbook.create_sheet(title)
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


_STYLESHEETS: dict[tuple, bytes] = {}


def _stylesheet(workbook: Workbook) -> bytes:
    """openpyxl's stylesheet of ``workbook``, kept per process for each set of styles (a
    workbook of :func:`write_xlsx` has a few: the bold header, the date formats, the quote
    prefix, in the order its cells first used them). The key holds every table a cell's style
    can add to (the named styles by name: a cell can only pick one); the differential and
    table styles and the colours are openpyxl's defaults, which no cell changes."""
    key = (
        tuple(workbook._cell_styles),
        tuple(workbook._number_formats),
        tuple(workbook._fonts),
        tuple(workbook._fills),
        tuple(workbook._borders),
        tuple(workbook._alignments),
        tuple(workbook._protections),
        tuple(style.name for style in workbook._named_styles),
    )
    if key not in _STYLESHEETS:
        _STYLESHEETS[key] = tostring(write_stylesheet(workbook))
    return _STYLESHEETS[key]


def _bold(sheet, cells: list[WriteOnlyCell]) -> list[WriteOnlyCell]:
    """``cells`` in a bold font. ``cell.font = …`` finds the font's index by hashing the Font
    object, its colour and its twenty attributes, once per cell (a tenth of a one-row export);
    the index is found once here and set on each cell's style, as openpyxl's setter does."""
    font_id = sheet.parent._fonts.add(Font(bold=True))
    for cell in cells:
        if not cell._style:
            cell._style = StyleArray()
        cell._style.fontId = font_id
    return cells


def _cells_to_row(cells: Iterable[WriteOnlyCell], row_idx: int) -> Iterator[WriteOnlyCell]:
    """openpyxl's ``WriteOnlyWorksheet._values_to_row`` for rows that are all cells (every row
    here is, from :func:`xlsx_cell`): openpyxl first tries each value as a plain value and takes
    a cell only from the ValueError that raises, with the cell's repr formatted into the
    message — a third of an export's time. The cells written are the same."""
    for col_idx, cell in enumerate(cells, 1):
        cell.column = col_idx
        cell.row = row_idx
        if cell.hyperlink is not None:
            cell.hyperlink.ref = cell.coordinate
        yield cell


def xlsx_cell(sheet, value) -> WriteOnlyCell:
    """``value`` as a cell of a write-only ``sheet``: text is a string cell, never a formula
    (with the quote prefix when it looks like one); numbers, dates and booleans keep their type."""
    value = _plain(value)
    if value is None or isinstance(value, bool | int | float | Decimal):
        return WriteOnlyCell(sheet, value=value)
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm" if isinstance(value, dt.datetime) else "yyyy-mm-dd"
        return cell
    text = str(value)
    cell = WriteOnlyCell(sheet, value=text)
    # openpyxl reads a string starting with "=" as a formula: the type is set back explicitly.
    cell.data_type = "s"
    if text.startswith(FORMULA_PREFIXES):
        cell.quotePrefix = True
    return cell


class _Echo:
    def write(self, value):
        return value


def csv_rows(headers: Sequence[str], rows: Iterable[Sequence]):
    """CSV lines (UTF-8 with a byte-order mark, which Excel needs to read Chinese)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([text_cell(str(h)) for h in headers])
    for row in rows:
        yield writer.writerow([_csv_value(value) for value in row])


def _csv_value(value):
    value = text_cell(_plain(value))
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _disposition(filename: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(filename)}"


def spreadsheet_response(
    *,
    filename: str,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    fmt: str = XLSX,
    sheet_title: str = "",
    widths: Sequence[int] | None = None,
    text_columns: Sequence[int] = (),
):
    """A download of ``rows`` as .xlsx or .csv (``filename`` without extension)."""
    if fmt == CSV:
        response = StreamingHttpResponse(csv_rows(headers, rows), content_type=CSV_CONTENT_TYPE)
        response["Content-Disposition"] = _disposition(f"{filename}.csv")
        return response
    handle = write_xlsx(
        sheet_title=sheet_title or filename,
        headers=headers,
        rows=rows,
        widths=widths,
        text_columns=text_columns,
    )
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{filename}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )
