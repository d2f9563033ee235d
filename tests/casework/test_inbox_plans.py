"""The center's inbox is served by indexes: every branch of its condition reads an index that
holds only the cases of that branch, never every waiting case of the communities (the plans are
read from EXPLAIN with plain scans switched off, so that a small test table still shows which
index the query can use)."""

from __future__ import annotations

import pytest
from django.db import connection

from casework import selectors


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        # The scope's join to the area table by hashing: the case table is read by its own
        # conditions, not row by row for each area of an empty test tree.
        cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute("SET LOCAL enable_mergejoin = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres
def test_postgresql_reads_the_cases_escalated_to_the_center_from_their_own_index(crew):
    plan = _plan(selectors.center_inbox(crew.center).order_by().values("pk"))
    assert "case_center_waiting" in plan, plan
    # Not the status index for the escalated cases (it holds every community's waiting case).
    assert "Index Cond: ((status)::text = ANY ('{reported,accepted}'::text[]))" not in plan, plan
