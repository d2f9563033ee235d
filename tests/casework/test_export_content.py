"""The case export's file is the same, part for part, as the reference written before its fixed
cost was cut (branch exportrow): cells, their types, styles, column widths, the sheet's name,
the header row in Chinese and the text-not-formula guarantee. Only docProps/core.xml differs
between two runs (its created and modified times), so it is the one part not compared."""

import zipfile
from pathlib import Path

from django.utils import translation
from openpyxl import load_workbook

from casework import exports
from tests.casework.export_rows_sample import LEADS, LONG, sample_rows

REFERENCE = Path(__file__).parent / "reference" / "export_cases.xlsx"
TIMESTAMPED = {"docProps/core.xml"}


def _write(rows=None):
    with translation.override("zh-hans"):
        return exports.write_cases(sample_rows() if rows is None else rows)


def test_every_part_but_the_timestamps_is_the_reference_byte_for_byte():
    with _write() as handle, zipfile.ZipFile(handle) as written, zipfile.ZipFile(REFERENCE) as ref:
        assert written.namelist() == ref.namelist()
        for name in ref.namelist():
            if name not in TIMESTAMPED:
                assert written.read(name) == ref.read(name), name


def test_the_hostile_text_is_text_and_the_styles_are_kept():
    with _write() as handle:
        sheet = load_workbook(handle).active
    assert sheet.title == "案件"
    assert sheet.freeze_panes == "A2"
    header = sheet[1]
    assert header[0].value == "案件编号"
    assert all(cell.font.b for cell in header)
    rows = list(sheet.iter_rows(min_row=2))
    for lead, row in zip(LEADS, rows[1:], strict=True):
        title = row[1]
        assert title.value == f'{lead}HYPERLINK("http://evil","点我")'
        assert title.data_type == "s"
        assert title.quotePrefix
        assert not title.font.b
    assert rows[0][8].value == LONG
    assert not rows[0][1].quotePrefix
    assert rows[0][13].number_format == "yyyy-mm-dd hh:mm"
    assert rows[0][18].value == 0 and rows[0][18].data_type == "n"
    assert sheet.column_dimensions["B"].width == 30


def test_a_workbook_of_one_row_then_of_no_rows():
    # Styles shared across the header must not leak into the cells of the next file.
    for rows in (sample_rows()[:1], []):
        with _write(rows) as handle:
            sheet = load_workbook(handle).active
        assert [c.font.b for c in sheet[1]] == [True] * 21
        assert sheet.max_row == 1 + len(rows)
        for row in sheet.iter_rows(min_row=2):
            assert not any(cell.font.b for cell in row)


def test_the_columns_kept_for_a_language_are_that_language_s():
    # The columns are built once per language: an English export between two Chinese ones
    # has English headers and labels, and the Chinese one after it Chinese again.
    headers = {}
    for language in ("zh-hans", "en", "zh-hans"):
        with translation.override(language), exports.write_cases(sample_rows()[1:2]) as handle:
            sheet = load_workbook(handle).active
        headers.setdefault(language, []).append(
            [sheet.cell(1, 1).value, sheet.cell(2, 3).value, sheet.cell(2, 18).value]
        )
    assert headers["en"] == [["Number", "Closed", "Yes"]]
    assert headers["zh-hans"][0] == headers["zh-hans"][1] == ["案件编号", "已结案", "是"]
    # And built once: the second export of a language reuses the first one's columns.
    with translation.override("zh-hans"):
        assert exports._columns() is exports._columns()
