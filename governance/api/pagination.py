"""Cursor pages and the incremental feed of the big lists (cases, case events, changes,
notifications).

A big list is paged by an opaque cursor (``?cursor=``, the ``next`` and ``previous`` links), newest
first by id: rows filed while a client walks the pages land before its first page, so a walk sees
every row that was there when it started exactly once, and no count is taken over a million rows.
A list whose view names a ``feed_field`` also takes ``?updated_after=<ISO 8601 time>``: only the
rows changed (or, for rows that never change, written) after that moment, oldest change first, so
that a client that keeps the last ``feed_field`` value it read, and asks again from a little before
it, misses nothing (a row changed while it walks comes again at the end).
"""

from __future__ import annotations

from django.db.models import Model
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.filters import BaseFilterBackend
from rest_framework.pagination import CursorPagination, PageNumberPagination

from governance.pagination import COUNT_CAP, CappedPaginator
from governance.processcache import ProcessCache
from governance.scopes import narrow

UPDATED_AFTER = "updated_after"
# The newest key of a table, by model label, for a search's window (FeedPagination): read again
# after half a minute, never on a write (a filing would drop it for every process). A bound that
# old leaves out no row: it widens the window by the rows filed since (at 280 filings a second,
# the 12345 hotline's peak, 8,400 beside the window's 65,536).
NEWEST_KEYS = ProcessCache("newest-keys", max_age=30)


class FeedPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("-pk",)

    def get_ordering(self, request, queryset, view):
        field = getattr(view, "feed_field", None)
        if field and request.query_params.get(UPDATED_AFTER):
            return (field, "pk")
        return self.ordering

    def paginate_queryset(self, queryset, request, view=None):
        """The page; a search's first page from the newest rows first (:meth:`_newest_window`)."""
        page = self._newest_window(queryset, request, view)
        if page is not None:
            return page
        return super().paginate_queryset(queryset, request, view)

    def _newest_window(self, queryset, request, view):
        """The first page from the newest ``view.feed_window`` keys of the table alone, when the
        view's ``feed_windowed()`` says so (a text search: it reads every candidate before it
        cuts the page) and that window fills the page and shows that more rows follow
        (then it is the page the whole list would give: every key outside the window is
        smaller); None otherwise, and for a later page, another order, a table no larger than
        the window or a narrow scope (:func:`governance.scopes.narrow`).

        A text search reads every candidate its indexes give before it cuts the page (路12号,
        in one address in 300: 3,334 rows at a million cases); with the key's range beside it
        PostgreSQL intersects the candidates with the window's keys (an exact bitmap of the
        primary key's range) and reads the window's candidates only (218). A narrow scope's
        rows are in the window only as their share of the table: a community's 井盖 had 22
        matches in it at a million cases, no page, so its key range (2.2–3.7 ms) was read for
        nothing before the page was asked of all.

        The window's bound is the newest key as this process read it at most
        :data:`NEWEST_KEYS`' ``max_age`` ago (one statement less a search): any bound gives
        the same page, since the page is taken from the window only when the window fills it;
        keys filed since then only widen the window by as many rows."""
        window = getattr(view, "feed_window", None)
        windowed = getattr(view, "feed_windowed", None)
        ordering = self.get_ordering(request, queryset, view)
        if (
            not window
            or windowed is None
            or not windowed()
            or tuple(ordering) != ("-pk",)
            or request.query_params.get(self.cursor_query_param)
            or narrow(request.user, queryset.model)
        ):
            return None
        newest = newest_key(queryset.model)
        if newest is None or newest <= window:
            return None
        page = super().paginate_queryset(queryset.filter(pk__gt=newest - window), request, view)
        return page if page is not None and getattr(self, "has_next", False) else None


def newest_key(model: type[Model]):
    """The newest primary key of ``model``'s table as this process last read it, at most
    ``NEWEST_KEYS.max_age`` seconds ago (None for an empty table)."""
    return NEWEST_KEYS.get(
        model._meta.label,
        lambda: model._default_manager.order_by("-pk").values_list("pk", flat=True).first(),
    )


class CappedPageNumberPagination(PageNumberPagination):
    """``?page=`` pages whose ``count`` stops at :data:`~governance.pagination.COUNT_CAP`
    (``count_capped`` tells that more rows exist): a list that may be sorted by a client keeps
    page numbers, without a ``COUNT(*)`` over a whole street (270,000 residents: 600 ms)."""

    cap = COUNT_CAP

    def django_paginator_class(self, queryset, page_size):
        return CappedPaginator(queryset, page_size, cap=self.cap)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_capped"] = self.page.paginator.capped
        return response

    def get_paginated_response_schema(self, schema):
        result = super().get_paginated_response_schema(schema)
        result["properties"]["count"]["description"] = f"At most {self.cap:,}."
        result["properties"]["count_capped"] = {
            "type": "boolean",
            "description": "True when more rows exist than ``count`` says.",
        }
        result["required"] = [*result.get("required", []), "count_capped"]
        return result


def updated_after(request):
    """The moment of ``?updated_after=``, None without one; a 400 naming the parameter when it
    is not a date and time."""
    raw = request.query_params.get(UPDATED_AFTER)
    if raw is None:
        return None
    # An unencoded "+08:00" arrives as " 08:00".
    text = raw.strip().replace(" ", "+")
    try:
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise exceptions.ValidationError(
            {
                UPDATED_AFTER: [
                    _(
                        "Give a date and time in ISO 8601 with its time zone, "
                        "e.g. 2026-05-20T08:00:00+08:00."
                    )
                ]
            }
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class UpdatedAfterFilter(BaseFilterBackend):
    """``?updated_after=``: rows whose ``view.feed_field`` is later than the moment given."""

    def filter_queryset(self, request, queryset, view):
        moment = updated_after(request)
        if moment is None:
            return queryset
        return queryset.filter(**{f"{view.feed_field}__gt": moment})

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": UPDATED_AFTER,
                "required": False,
                "in": "query",
                "description": "Only the rows changed after this moment (ISO 8601 with its time "
                "zone), oldest change first. Keep the last value you read and ask again from a "
                "little before it: a row may come twice, never be missed.",
                "schema": {"type": "string", "format": "date-time"},
            }
        ]
