"""Pinyin search and the natural sort key of names: the one place both are computed and asked.

Chinese users type names on a phone as pinyin, whole (``lajiduifang``) or by initials
(``ljdf``): both find 垃圾堆放. Names are listed by their pinyin, numbers inside them by value
(6号楼 before 10号楼).

A model takes both by inheriting :class:`PinyinNamedModel`; the keys are computed when a row is
saved and when rows are written in bulk (its querysets' ``bulk_create``/``bulk_update``, see
:class:`PinyinQuerySetMixin`), so that a query compares stored, indexed columns and no Python
runs per row. ``queryset.update(name=...)`` bypasses both: write names through ``save()`` or the
bulk methods.

Searches ask :func:`search_q`; orderings use :data:`SORT_FIELD`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from pypinyin import lazy_pinyin
from pypinyin.constants import RE_HANS

SEARCH_FIELD = "name_pinyin"
SORT_FIELD = "name_sort"
SEARCH_MAX_LENGTH = 1000
SORT_MAX_LENGTH = 255
# Numbers inside names are padded to this many digits in the sort key.
NUMBER_WIDTH = 10
# The longest pinyin syllable (zhuang, chuang, shuang): every syllable is padded to it, so that
# a shorter one sorts first whatever the database's collation does with separators.
SYLLABLE_WIDTH = 6

_RUNS = re.compile(r"[0-9]+|[a-z]+")
# A search term pinyin can match: ASCII letters (and digits), at least one letter.
_TERM = re.compile(r"^(?=.*[a-z])[a-z0-9]+$")


def _items(text: str) -> list[str]:
    """pypinyin's reading of ``text``: a syllable per Chinese character, other runs as they are."""
    return lazy_pinyin(text or "", errors="default")


def search_key(text: str) -> str:
    """``垃圾堆放`` → ``lajiduifang ljdf``: the whole pinyin and the initials, lower case, digits
    and Latin letters kept (``A座3单元`` → ``azuo3danyuan az3dy``)."""
    whole: list[str] = []
    initials: list[str] = []
    for item, han in _readings(text):
        if han:
            whole.append(item)
            initials.append(item[:1])
        else:
            runs = _RUNS.findall(item.lower())
            whole.extend(runs)
            initials.extend(runs)
    return f"{''.join(whole)} {''.join(initials)}".strip()[:SEARCH_MAX_LENGTH]


def sort_key(text: str) -> str:
    """A key that sorts names by pinyin and numbers by value: syllables padded to six letters,
    numbers to ten digits, only ``[0-9a-z]`` (the same order under any collation)."""
    parts: list[str] = []
    for item, han in _readings(text):
        if han:
            parts.append(item.ljust(SYLLABLE_WIDTH, "0"))
            continue
        for run in _RUNS.findall(item.lower()):
            parts.append(run.zfill(NUMBER_WIDTH) if run.isdigit() else run)
    return "".join(parts)[:SORT_MAX_LENGTH]


@functools.lru_cache(maxsize=20_000)
def _readings(text: str) -> tuple[tuple[str, bool], ...]:
    """Pairs of (reading, whether it is a Chinese character's pinyin); names repeat a lot
    (surnames, 1号楼 in every compound), hence the cache."""
    # Full-width digits and letters (３号楼, Ａ座) read as their ASCII forms.
    text = unicodedata.normalize("NFKC", text or "")
    readings = _items(text)
    # lazy_pinyin gives one syllable per Chinese character and keeps other runs whole; walking
    # the text alongside tells the two apart (a Latin run is never mistaken for a syllable).
    result: list[tuple[str, bool]] = []
    position = 0
    for item in readings:
        if position < len(text) and RE_HANS.match(text[position]):
            result.append((item, True))
            position += 1
        else:
            result.append((item, False))
            position += len(item)
    return tuple(result)


def normalize_term(term: str) -> str | None:
    """The term as the search column holds it, or None when pinyin cannot match it (Chinese
    characters, digits alone, punctuation: the name itself is searched for those)."""
    term = re.sub(r"[\s']+", "", (term or "").lower())
    return term if _TERM.match(term) else None


def search_q(term: str, *, prefix: str = "", model=None, user=None) -> Q:
    """Rows whose name (at ``prefix``, e.g. ``"user__"``) matches ``term`` as pinyin; an empty
    filter when it cannot. ``model`` and ``user``: when the model declares its name a personal
    field (governance.privacy), only rows whose name the user may read in full match, so that
    a search cannot recover what a mask hides."""
    term = normalize_term(term)
    if term is None:
        return Q(pk__in=[])
    q = Q(**{f"{prefix}{SEARCH_FIELD}__contains": term})
    if model is not None and getattr(model, "pinyin_source", None):
        from governance import privacy
        from governance.scopes import scope_of

        source = model.pinyin_source
        if privacy.is_personal(model, source):
            if scope_of(user).is_superuser:
                return q
            return privacy.readable_q(user, model, source) & q
    return q


def name_q(term: str, *, field: str = "name", prefix: str = "", model=None, user=None) -> Q:
    """The usual name search: a substring of the name itself, or its pinyin (:func:`search_q`)."""
    term = (term or "").strip()
    if not term:
        return Q()
    return Q(**{f"{prefix}{field}__icontains": term}) | search_q(
        term, prefix=prefix, model=model, user=user
    )


class PinyinQuerySetMixin:
    """Fills the keys of rows written in bulk (loaders, imports, the demo)."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        if hasattr(self.model, "fill_pinyin"):
            for obj in objs:
                obj.fill_pinyin()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        source = getattr(self.model, "pinyin_source", None)
        if source and set(fields) & set(self.model.pinyin_depends_on()):
            for obj in objs:
                obj.fill_pinyin()
            fields = [*fields, SEARCH_FIELD, SORT_FIELD]
        return super().bulk_update(objs, fields, *args, **kwargs)


class PinyinQuerySet(PinyinQuerySetMixin, models.QuerySet):
    pass


class PinyinNamedModel(models.Model):
    """Adds the stored pinyin search text and sort key of ``pinyin_source`` (the name)."""

    pinyin_source: ClassVar[str] = "name"

    name_pinyin = models.CharField(
        _("name in pinyin"), max_length=SEARCH_MAX_LENGTH, blank=True, editable=False
    )
    name_sort = models.CharField(
        _("sort key"), max_length=SORT_MAX_LENGTH, blank=True, editable=False, db_index=True
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.fill_pinyin()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and set(update_fields) & set(self.pinyin_depends_on()):
            kwargs["update_fields"] = {*update_fields, SEARCH_FIELD, SORT_FIELD}
        super().save(*args, **kwargs)

    @classmethod
    def pinyin_depends_on(cls) -> tuple[str, ...]:
        """The fields the keys are computed from."""
        return (cls.pinyin_source,)

    def pinyin_text(self) -> str:
        return getattr(self, self.pinyin_source) or ""

    def fill_pinyin(self) -> None:
        text = self.pinyin_text()
        self.name_pinyin = search_key(text)
        self.name_sort = sort_key(text)


def fill_stored(model, *, fields: tuple[str, ...] = ("name",), text_of=None, batch_size=2000):
    """Compute the keys of every stored row of ``model`` from ``fields`` (``text_of(row)``, or
    the first field): for data migrations, whose historical models lack :class:`PinyinNamedModel`'s
    methods."""
    text_of = text_of or (lambda row: getattr(row, fields[0]) or "")
    manager = model._base_manager
    changed = []
    for row in manager.order_by().only("pk", *fields).iterator(chunk_size=batch_size):
        text = text_of(row)
        row.name_pinyin = search_key(text)
        row.name_sort = sort_key(text)
        changed.append(row)
        if len(changed) >= batch_size:
            manager.bulk_update(changed, [SEARCH_FIELD, SORT_FIELD])
            changed = []
    if changed:
        manager.bulk_update(changed, [SEARCH_FIELD, SORT_FIELD])


def fill_operation(app_label: str, model_name: str, *, fields=("name",), text_of=None):
    """A migration step computing the keys of the rows already stored."""
    from django.db import migrations

    def forward(apps, schema_editor):
        fill_stored(apps.get_model(app_label, model_name), fields=fields, text_of=text_of)

    return migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)


def trigram_index_operation(table: str):
    """A migration step adding, on PostgreSQL, the trigram index that serves the search
    column's ``LIKE '%…%'`` (SQLite scans, which a street's data allows)."""
    from django.db import migrations

    name = f"{table}_pinyin_trgm"

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({SEARCH_FIELD} gin_trgm_ops)"
        )

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")

    return migrations.RunPython(forward, backward)
