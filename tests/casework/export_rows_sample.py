"""Rows for the export's byte-for-byte check (tests/casework/test_export_content.py), shaped as
``page_selectors.export_rows`` yields them: hostile text (every formula prefix), Chinese, long
text, empty and missing values, dates and numbers."""

import datetime as dt

LONG = "长文本" * 3000  # 9,000 characters, under the cell's 32,767

LEADS = ["=", "+", "-", "@", "\t", "\r"]


def sample_rows() -> list[dict]:
    at = dt.datetime(2026, 11, 30, 1, 2, 3, tzinfo=dt.UTC)
    rows = []
    for index, lead in enumerate(["", *LEADS]):
        text = f'{lead}HYPERLINK("http://evil","点我")' if lead else "井盖缺失 路12号"
        rows.append(
            {
                "number": f"2026-{index:07d}",
                "title": text,
                "status": ["reported", "closed", "handled", "accepted"][index % 4],
                "category__parent__name": None if index % 3 == 0 else "市容环境",
                "category__name": "井盖",
                "community__name": None if index == 2 else "幸福社区",
                "grid__name": None if index == 3 else "第一网格",
                "area__name": "第一网格",
                "address": text if index % 2 else LONG,
                "source": ["phone", "patrol", "web"][index % 3],
                "priority": ["normal", "urgent"][index % 2],
                "holder": [None, "center", "department", "grid"][index % 4],
                "department__name": None if index % 2 else "城管科",
                "reported_at": at - dt.timedelta(days=index),
                "due_at": at + dt.timedelta(days=index) if index % 3 else None,
                "closed_at": at if index % 4 == 1 else None,
                "reporter_name": text if index % 2 else "张三",
                "reporter_id": None,
                "reporter": "" if index % 2 else "李四",
                "resolved_on_spot": bool(index % 2),
                "rework_count": index,
                "satisfaction": ["", "satisfied", "unsatisfied"][index % 3],
                "result": text,
            }
        )
    return rows
