"""After a bulk load: planner statistics.

PostgreSQL's autovacuum analyzes a table only after enough changes and some delay; right after a
seed or an import the planner still believes the area table is empty, estimates the scope filter
at one row and picks a plan a hundred times slower. Whatever loads many rows calls this at the end.
"""

from __future__ import annotations

from django.db import connection


def refresh_planner_statistics(*models) -> None:
    """ANALYZE the tables of ``models`` (every table when none is given)."""
    tables = [connection.ops.quote_name(m._meta.db_table) for m in models]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and tables:
            cursor.execute(f"ANALYZE {', '.join(tables)}")
        elif connection.vendor == "sqlite" and tables:
            for table in tables:
                cursor.execute(f"ANALYZE {table}")
        else:
            cursor.execute("ANALYZE")
