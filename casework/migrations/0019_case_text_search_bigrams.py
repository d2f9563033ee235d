"""Text search by character pairs (bigrams), for Chinese.

The trigram indexes of migration 0006 did not serve the search box for Chinese: a word of two
characters (井盖, 漏水 — most Chinese words) yields no trigram under ``LIKE '%…%'``, and on a
cluster initialised with the C locale (``initdb --no-locale``, as the benchmark's and many
servers are) pg_trgm takes no CJK character for a word character at all, so every search read
the whole index or walked the list order (issue 15: ``?q=<word>`` 2.5× at ten times the cases).

Here an IMMUTABLE function gives the character pairs of a text, and a GIN index over
the pairs of ``UPPER(title)`` and of ``UPPER(address)`` answers "contains every pair of the
query" whatever the locale; the ``LIKE`` beside it keeps the match exact (the pairs of 井盖缺
are also in 井盖 …盖缺). Queries of one character still scan (see casework.filters). The
trigram indexes are dropped: nothing uses them now, and each costs every filing a GIN update.
SQLite has neither and searches by scanning.

The function is declared costly (``COST 1000``; it takes about 7 µs a row against 1 µs for the
``LIKE``), so that the planner counts the matches of a common word from the index (the index
answers ``@>`` exactly, with no recheck) rather than by computing the pairs of every row.
"""

from django.db import migrations

BIGRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION casework_bigrams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
    SELECT ARRAY(SELECT substr(value, i, 2) FROM generate_series(1, char_length(value) - 1) AS i)
$$
"""
BIGRAM_INDEXES = {
    "case_title_bigrams": "title",
    "case_address_bigrams": "address",
}
TRIGRAM_INDEXES = {
    "case_title_trgm": "title",
    "case_address_trgm": "address",
}


def create_bigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(BIGRAMS_FUNCTION)
    for name, column in BIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON casework_case "
            f"USING gin (casework_bigrams(UPPER({column}::text)))"
        )
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def drop_bigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON casework_case "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )
    for name in BIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute("DROP FUNCTION IF EXISTS casework_bigrams(text)")


class Migration(migrations.Migration):
    dependencies = [("casework", "0018_wall_token_expiry")]

    operations = [migrations.RunPython(create_bigram_indexes, drop_bigram_indexes)]
