"""Every export writes user text as text, never as a formula (OWASP CSV injection), in .xlsx
and .csv alike; numbers and dates stay what they are."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet import _writer as openpyxl_writer

from governance import exports
from governance.exports import (
    CSV,
    XLSX,
    csv_rows,
    spreadsheet_response,
    text_cell,
    untext_cell,
    write_xlsx,
)

DANGEROUS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1", '=HYPERLINK("http://x")']


@pytest.mark.parametrize("value", DANGEROUS)
def test_a_leading_formula_character_is_neutralised(value):
    assert text_cell(value) == "'" + value
    assert untext_cell(text_cell(value)) == value


@pytest.mark.parametrize("value", ["张秀英", "13912345678", "1101**********002X", "", "a=b"])
def test_ordinary_text_is_left_as_it_is(value):
    assert text_cell(value) == value


def test_numbers_dates_and_empty_cells_are_not_turned_into_text():
    assert text_cell(-5) == -5
    assert text_cell(dt.date(2026, 1, 2)) == dt.date(2026, 1, 2)
    assert text_cell(None) is None


@pytest.mark.parametrize("value", DANGEROUS)
def test_an_xlsx_cell_is_a_string_never_a_formula(value):
    handle = write_xlsx(sheet_title="t", headers=["名称"], rows=[[value], [42]])
    sheet = load_workbook(handle).active
    cell = sheet["A2"]
    assert cell.data_type == "s"
    # Shown as typed, kept text by the quote prefix (no apostrophe in the value itself).
    assert (cell.value, cell.quotePrefix) == (value, True)
    assert sheet["A3"].value == 42


@pytest.mark.parametrize("value", DANGEROUS)
def test_a_csv_cell_starts_with_an_apostrophe(value):
    text = "".join(csv_rows(["名称"], [[value]]))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1] == ["'" + value]


def test_a_header_is_neutralised_too():
    handle = write_xlsx(sheet_title="t", headers=["=cmd"], rows=[])
    cell = load_workbook(handle).active["A1"]
    assert (cell.data_type, cell.value, cell.quotePrefix) == ("s", "=cmd", True)


@pytest.mark.parametrize("fmt", [XLSX, CSV])
def test_the_download_names_its_file_in_utf8(fmt):
    response = spreadsheet_response(filename="居民", headers=["a"], rows=[["b"]], fmt=fmt)
    assert "filename*=utf-8''%e5%b1%85%e6%b0%91" in response["Content-Disposition"].lower()


# write_xlsx saves with parts kept per process (the workbook's, the stylesheet for each set of
# styles): each file must be the one openpyxl's own save writes, whatever was written before it.
SHAPES = [
    ("案件", [["标题", dt.datetime(2026, 1, 2, 3, 4), "=1+1"]], ()),
    ("案件", [["=1+1", dt.date(2026, 1, 2), 5]], ()),  # the quote prefix before a date
    ("案件", [[None, None, None]], ()),  # the header's bold alone
    ("居民", [["张三", "110105", dt.date(2026, 1, 2)]], (1,)),  # a text column
    ("幸福社区", [], (0, 2)),
]


def _parts(handle) -> dict[str, bytes]:
    with zipfile.ZipFile(handle) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _xlsx(title, rows, text_columns):
    return write_xlsx(
        sheet_title=title, headers=["甲", "乙", "丙"], rows=rows, text_columns=text_columns
    )


@pytest.mark.parametrize("order", [SHAPES, SHAPES[::-1]], ids=["forward", "backward"])
def test_each_xlsx_is_the_file_openpyxl_saves_whatever_came_before(monkeypatch, order):
    kept = [_parts(_xlsx(*shape)) for shape in order]
    monkeypatch.setattr(exports, "_save", lambda workbook, sheet, handle: workbook.save(handle))
    monkeypatch.setattr(exports, "_sheet_writer", openpyxl_writer.WorksheetWriter)
    for shape, parts in zip(order, kept, strict=True):
        expected = _parts(_xlsx(*shape))
        assert list(parts) == list(expected)
        for name in expected:
            if name != "docProps/core.xml":  # its created and modified times
                assert parts[name] == expected[name], (shape, name)


def test_an_xlsx_entry_is_the_one_openpyxls_save_makes(monkeypatch):
    def entries(handle):
        with zipfile.ZipFile(handle) as archive:
            return [
                (i.filename, i.compress_type, i.external_attr, i.file_size, i.flag_bits)
                for i in archive.infolist()
            ]

    shape = SHAPES[0]
    kept = entries(_xlsx(*shape))
    monkeypatch.setattr(exports, "_save", lambda workbook, sheet, handle: workbook.save(handle))
    monkeypatch.setattr(exports, "_sheet_writer", openpyxl_writer.WorksheetWriter)
    assert kept == entries(_xlsx(*shape))


def test_an_xlsx_sheet_is_written_without_a_named_temporary_file():
    before = list(openpyxl_writer.ALL_TEMP_FILES)
    handle = _xlsx("案件", [["=1+1", dt.date(2026, 1, 2), 5]] * 3, ())
    assert len(openpyxl_writer.ALL_TEMP_FILES) == len(before)
    sheet = load_workbook(handle).active
    assert [c.value for c in sheet[4]] == ["=1+1", dt.datetime(2026, 1, 2), 5]
    assert sheet["A4"].data_type == "s"
