"""Text search by character pairs and triples: a query of three characters or more reads the
cases holding its triples, not every case holding its pairs.

The GIN indexes of migration 0019 hold each title's and address's character pairs. A query of
four characters (路12号) asked them for the cases holding 路1, 12 and 2号: in the benchmark's
addresses (压测路0号 … 压测路299号) the pair 路1 is in 37 % of them (370,000 at a million cases),
and the cases holding all three pairs were 10,000 for 3,334 matches, each read from the table and
checked (issue 15: the API's ``?q=路12号`` 2.9× from 10,000 to 1,000,000 cases on a quiet
machine). Triples are rarer: 路12 and 12号 are in 36,664 and 10,000 addresses, and the cases
holding both are the 3,334 matches.

One index per field holds both (``casework_grams``: the pairs, then the triples; a pair and a
triple never compare equal), so that a filing updates two GIN indexes as before, not four. A
query of two characters asks for its pair (``casework_bigrams``), one of three or more for its
triples (``casework_trigrams``) — never for its pairs as well, whose long posting lists are the
cost. Both query functions keep their definitions; ``casework_bigrams`` is no longer indexed.
All three are PARALLEL RESTRICTED (migration 0024) and COST 1000 (migration 0019).
SQLite has none of this and searches by scanning.
"""

from django.db import migrations

FUNCTIONS = """
CREATE OR REPLACE FUNCTION casework_trigrams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL RESTRICTED COST 1000 AS $$
    SELECT ARRAY(SELECT substr(value, i, 3) FROM generate_series(1, char_length(value) - 2) AS i)
$$;
CREATE OR REPLACE FUNCTION casework_grams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL RESTRICTED COST 1000 AS $$
    SELECT ARRAY(SELECT substr(value, i, 2) FROM generate_series(1, char_length(value) - 1) AS i
        UNION ALL
        SELECT substr(value, i, 3) FROM generate_series(1, char_length(value) - 2) AS i)
$$
"""
GRAM_INDEXES = {"case_title_grams": "title", "case_address_grams": "address"}
BIGRAM_INDEXES = {"case_title_bigrams": "title", "case_address_bigrams": "address"}


def _create(schema_editor, indexes: dict[str, str], function: str) -> None:
    for name, column in indexes.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON casework_case "
            f"USING gin ({function}(UPPER({column}::text)))"
        )


def grams(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS)
    _create(schema_editor, GRAM_INDEXES, "casework_grams")
    for name in BIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def bigrams(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _create(schema_editor, BIGRAM_INDEXES, "casework_bigrams")
    for name in GRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute("DROP FUNCTION IF EXISTS casework_grams(text)")
    schema_editor.execute("DROP FUNCTION IF EXISTS casework_trigrams(text)")


class Migration(migrations.Migration):
    dependencies = [("casework", "0024_case_text_search_serial")]

    operations = [migrations.RunPython(grams, bigrams)]
