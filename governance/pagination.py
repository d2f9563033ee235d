"""Paging long lists without counting every row.

``COUNT(*)`` over a street's whole case history costs more than the page it heads (130–147 ms at a
million cases, against 1.5 ms for the page). Past a cap nobody reads the exact figure: the list
says "10,000+" and offers pages up to the cap; a narrower filter finds the rest.

A page can also be read in two steps (``keys_first``): the primary keys of the page in the list's
order (a narrow query that an index can answer without reading the table), then those rows with
their joins. PostgreSQL cannot fetch the rows after the LIMIT itself, so a one-step page of a
sorted list fetches every candidate row before it sorts (1,000 residents for the 25 of a page).
With ``count_keys`` the count and the page share one read: the keys of the first ``cap + 1`` rows
in the list's order, which give the count (up to the cap) and every page's keys (pages stop at the
cap). A search whose candidates are read and sorted whole for any page then reads them once, not
once for the count and again for the page.

A count can be *kept* (``kept=``, a :class:`~governance.processcache.ProcessCache` with the
``parts`` it depends on): the count of one statement, with its parameters, is read once and served
from the process's memory until a write of a row the cache watches bumps its version or one of
those parts (at once in this process, on commit in every other), or ``max_age`` passes. A list
that twenty people of a street open between two steps taken in it is counted once, not twenty
times (the count of a street's cases was most of a list page's database time, issue 15). Only for
a list whose rows change by writes alone: a condition on the clock (overdue, "this month")
changes its count without any write.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

from governance.processcache import ProcessCache

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """A paginator whose ``count`` stops at ``cap``; ``capped`` tells that more rows exist.

    With ``keys_first`` a page is read in two steps: the page's primary keys from ``object_list``
    alone (narrow, so that an index covering its filter and its order answers it without reading
    the table), then those rows — through ``rows(queryset)`` when given (the joins and columns a
    row shows, applied to the model's rows with those keys), else ``object_list`` itself narrowed
    to the keys — in the keys' order. Sorting a long inbox then sorts index entries, not every
    waiting case joined to its category, areas and department. ``count_keys`` (implies
    ``keys_first``) takes the count and the page's keys from one list of the first ``cap + 1``
    keys: for a small cap, where every page's keys cost what the count costs. ``kept`` (with
    ``parts``) keeps the count in a process cache (see the module's notes; not with
    ``count_keys``, whose read is the page's too).
    """

    def __init__(
        self,
        object_list,
        per_page,
        *,
        cap: int = COUNT_CAP,
        keys_first: bool = False,
        rows=None,
        count_keys: bool = False,
        kept: ProcessCache | None = None,
        parts: Iterable[str] = (),
        **kwargs,
    ) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap
        self.kept = kept
        self.parts = tuple(parts)
        self.capped = False
        self.count_keys = count_keys and hasattr(object_list, "values_list")
        self.keys_first = keys_first or rows is not None or self.count_keys
        self.rows = rows

    def page(self, number):
        if not (self.keys_first and hasattr(self.object_list, "values_list")):
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if self.count_keys:
            keys = self._first_keys[bottom:top]
        else:
            keys = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        if self.rows is None:
            fetched = self.object_list.filter(pk__in=keys).order_by()
        else:
            fetched = self.rows(self.object_list.model._default_manager.filter(pk__in=keys))
        found = {row.pk: row for row in fetched}
        return self._get_page([found[key] for key in keys if key in found], number, self)

    @cached_property
    def _first_keys(self) -> list:
        """The keys of the first ``cap + 1`` rows in the list's order (``count_keys``)."""
        return list(self.object_list.values_list("pk", flat=True)[: self.cap + 1])

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if not hasattr(rows, "order_by"):  # a list
            return self._capped(len(rows))
        if self.count_keys:
            return self._capped(len(self._first_keys))
        # COUNT(*) over a LIMIT-ed subquery stops reading at cap + 1 rows — unless the subquery
        # is ordered, when PostgreSQL sorts every row first (8 s at a million cases).
        return self._capped(
            count_up_to(rows.order_by(), self.cap + 1, kept=self.kept, parts=self.parts)
        )

    def _capped(self, counted: int) -> int:
        self.capped = counted > self.cap
        return min(counted, self.cap)

    @property
    def display_count(self) -> str:
        """The count as shown: "1,234", or "10,000+" past the cap."""
        shown = f"{self.count:,}"
        return f"{shown}+" if self.capped else shown


def count_up_to(
    queryset, limit: int, *, kept: ProcessCache | None = None, parts: Iterable[str] = ()
) -> int:
    """``queryset[:limit].count()``: the same statement (``SELECT COUNT(*)`` over the first
    ``limit`` keys), written around the keys' compiled query instead of built by Django's
    aggregation of a sliced query (a clone of the query, resolved and compiled twice over: a
    fifth of a millisecond of a list page, issue 15). A query that aggregation would rewrite
    (distinct, annotated, grouped, combined, with extra columns) is counted by Django.

    With ``kept``, the count is kept in that process cache under the statement and its
    parameters (with ``parts``: see :meth:`ProcessCache.get`); a statement Django counts itself,
    or one with a parameter that cannot be a key, is counted every time."""
    query = queryset.query
    if (
        query.distinct
        or query.combinator
        or query.annotations
        or query.group_by is not None
        or query.extra
        or query.is_sliced
    ):
        return queryset[:limit].count()
    keys = queryset.values_list("pk")[:limit]
    try:
        sql, params = keys.query.get_compiler(keys.db).as_sql()
    except EmptyResultSet:  # .none(), or an empty __in
        return 0
    statement = f"SELECT COUNT(*) FROM ({sql}) subquery"

    def read() -> int:
        with connections[keys.db].cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchone()[0]

    if kept is None:
        return read()
    key = ("count", keys.db, statement, tuple(params))
    try:
        hash(key)
    except TypeError:  # a list or a dict among the parameters
        return read()
    return kept.get(key, read, parts=parts)
