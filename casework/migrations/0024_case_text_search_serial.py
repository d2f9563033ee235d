"""Text search in one process: ``casework_bigrams`` is marked PARALLEL RESTRICTED.

A text search reads its matches through the GIN indexes of character pairs (migration 0019) and
sorts them for the page. From about a thousand estimated matches (a word in one case title in a
thousand, at a million cases) PostgreSQL planned it in parallel: a worker started for a bitmap
heap scan of a thousand rows, then a Gather Merge. On the 2-core benchmark machine under load that
took 32–54 ms, where the same statements in one process took 2–25 ms (issue 15, ``bench/lists.py``:
``?q=<word>`` 3.5× and 4.2× from 10,000 to 1,000,000 cases). A search reads its candidates through
the index, never the whole table: a parallel plan halves that reading at best, and for a thousand
rows the worker's start costs more than the reading. (For the 10,000 candidates of a word in one
address in 300 the two plans measured alike: 110–240 ms in one process, 120–320 ms in two.)

The function is parallel safe in itself; RESTRICTED keeps the scans whose condition calls it
— only the search's — in the leader process, and touches nothing else (GIN index builds are not
parallel in PostgreSQL 15). SQLite has no such function.
"""

from django.db import migrations


def serial(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER FUNCTION casework_bigrams(text) PARALLEL RESTRICTED")


def parallel(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER FUNCTION casework_bigrams(text) PARALLEL SAFE")


class Migration(migrations.Migration):
    dependencies = [("casework", "0023_case_open_escalated_index")]

    operations = [migrations.RunPython(serial, parallel)]
