"""The one case filter: the list page and the API take the same parameters."""

from __future__ import annotations

import copy
import re
from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.db import connections
from django.db.models import BooleanField, Expression, F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from casework.models import Case, Category, Holder, Priority, Satisfaction, Source, Status
from casework.stats import figures as stats_figures
from casework.stats import periods as stats_periods
from governance.filters import CopiedFiltersMixin, NameSearchFilter
from governance.forms import FrozenChoices, SharedBaseFields
from governance.models import Department
from governance.scopes import can_view_area, departments_for, under_q, visible
from grids.models import Area

# What a case number starts with: the year and a dash, then digits (see CaseNumberCounter).
CASE_NUMBER_START = re.compile(r"\d{4}-\d*")
# A searched list counts at most this many matches ("1,000+"), not the 10,000 of a plain list:
# every match counted is a row read through the search's indexes (a word in one case in a
# hundred has 10,000 matches at a million cases), and past a thousand a narrower search or
# filter finds a case faster than paging does.
SEARCH_COUNT_CAP = 1_000

FIGURE_CHOICES = [
    *((f.key, f.label) for f in stats_figures.FIGURE_LIST),
    *((r.key, r.label) for r in stats_figures.RATE_LIST),
]


class BoxField(forms.CharField):
    """``south,west,north,east`` in degrees (a map's rectangle) → a tuple of four floats."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            south, west, north, east = (float(v) for v in value.split(","))
        except ValueError:
            raise forms.ValidationError(
                _("Give the box as south,west,north,east in degrees.")
            ) from None
        if not (-90 <= south <= north <= 90 and -180 <= west <= east <= 180):
            raise forms.ValidationError(
                _("The box's south lies below its north and its west left of its east.")
            )
        return south, west, north, east


@extend_schema_field(OpenApiTypes.STR)
class BoxFilter(django_filters.Filter):
    field_class = BoxField


class ScopedAreaField(forms.ModelChoiceField):
    """The area filter's field. Given ``user`` (the filter set gives it), a value is checked as
    its queryset (``visible(user, …)``) would check it, without the query: the area from the
    process cache of areas with their ancestors (``selectors.area_with_ancestors``) and the
    user's scope from their cached roles (``scopes.can_view_area``; a query only where the
    area's rule needs one). That ``get`` was a twentieth of a filtered list's CPU (issue 15)."""

    user = None

    def to_python(self, value):
        if self.user is None or value in self.empty_values:
            return super().to_python(value)
        from casework.selectors import area_with_ancestors  # the selectors build on this module

        invalid = forms.ValidationError(
            self.error_messages["invalid_choice"], code="invalid_choice"
        )
        if isinstance(value, Area):
            value = value.pk
        try:
            pk = int(value)
        except (TypeError, ValueError):
            raise invalid from None
        if not 0 < pk < 2**63:
            raise invalid
        area = area_with_ancestors(pk)
        if area is None or not can_view_area(self.user, area):
            raise invalid
        return area


class ScopedAreaFilter(django_filters.ModelChoiceFilter):
    field_class = ScopedAreaField


class CategoryFilterSet(django_filters.FilterSet):
    """``search``: categories by name, pinyin or code prefix (the matches come back as a flat
    list of nodes)."""

    search = NameSearchFilter(field_name="name", code_field="code", label=_("name or code"))

    class Meta:
        model = Category
        fields = ("search",)


class CaseFilterSet(CopiedFiltersMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_text", label=_("Search"), help_text=_("Number, title or address.")
    )
    # distinct=False: no join here can repeat a row, and DISTINCT made PostgreSQL sort every
    # matching row before the first page (2.4 s for status=closed at a million cases).
    status = django_filters.MultipleChoiceFilter(
        choices=FrozenChoices(Status.choices), label=_("Status"), distinct=False
    )
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.all(),
        method="filter_category",
        label=_("Category (with its sub-categories)"),
    )
    area = ScopedAreaFilter(
        queryset=Area.objects.all(), method="filter_area", label=_("Area (with everything in it)")
    )
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.order_by("name_sort", "name"), label=_("Department")
    )
    holder = django_filters.ChoiceFilter(
        choices=FrozenChoices(c for c in Holder.choices if c[0]), label=_("Held by")
    )
    source = django_filters.MultipleChoiceFilter(
        choices=FrozenChoices(Source.choices), label=_("Source"), distinct=False
    )
    priority = django_filters.MultipleChoiceFilter(
        choices=FrozenChoices(Priority.choices), label=_("Priority"), distinct=False
    )
    satisfaction = django_filters.ChoiceFilter(
        choices=FrozenChoices(Satisfaction.choices), label=_("Satisfaction")
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))
    reported_from = django_filters.DateFilter(
        method="filter_reported_from", label=_("Reported from")
    )
    reported_to = django_filters.DateFilter(method="filter_reported_to", label=_("Reported to"))
    # The cases located in a rectangle of the map (a cluster of the dashboard's map opens its
    # cell's cases here), by the location index.
    box = BoxFilter(
        method="filter_box",
        label=_("Located in the box"),
        help_text=_("south,west,north,east in degrees, e.g. 39.90,116.40,39.91,116.41."),
    )
    # The cases behind a figure of the statistics (a rate: the cases it is a share of), in the
    # period from ``figure_from`` to ``figure_to`` (default: this month).
    figure = django_filters.ChoiceFilter(
        choices=FrozenChoices(FIGURE_CHOICES),
        method="filter_figure",
        label=_("Counted in the figure"),
    )
    figure_from = django_filters.DateFilter(method="filter_nothing", label=_("Figure from"))
    figure_to = django_filters.DateFilter(method="filter_nothing", label=_("Figure to"))

    class Meta:
        model = Case
        fields = (
            "q",
            "status",
            "category",
            "area",
            "department",
            "holder",
            "source",
            "priority",
            "satisfaction",
            "overdue",
            "reported_from",
            "reported_to",
            "figure",
            "figure_from",
            "figure_to",
            "box",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only areas and departments the user can see are valid choices (one outside the scope
        # would only ever match nothing, but must not be accepted). The querysets only check a
        # value given: the list page draws its options from page_selectors' cache, and building
        # the user's scoped querysets for nothing was a twentieth of a list page's CPU (issue
        # 15); with no value to check, a field gets none.
        user = getattr(self.request, "user", None)
        areas = Area.objects.all()
        if user is not None:
            areas = visible(user, areas) if self._given("area") else areas.none()
        self.filters["area"].queryset = areas.order_by(*Area.tree_order())
        departments = Department.objects.order_by("name_sort", "name")
        if user is not None:
            given = self._given("department")
            departments = departments_for(user, active=False) if given else departments.none()
        self.filters["department"].queryset = departments
        self.filters["category"].queryset = Category.objects.order_by(*Category.tree_order())

    @classmethod
    def _form_class(cls) -> type[forms.Form]:
        """The form class, built once per process from the declared filters (django-filter
        builds a class with a new field per filter for every request, and the form copies each
        field again); each form's own fields get this request's querysets (:attr:`form`). The
        form and the filter set copy their fields and filters without ``copy.deepcopy``'s
        machinery (``SharedBaseFields``, ``CopiedFiltersMixin``)."""
        built = cls.__dict__.get("_built_form_class")
        if built is None:
            fields = {name: f.field for name, f in copy.deepcopy(cls.base_filters).items()}
            built = type(f"{cls.__name__}Form", (cls._meta.form,), fields)
            built.base_fields = SharedBaseFields(built.base_fields)
            cls._built_form_class = built
        return built

    def get_form_class(self) -> type[forms.Form]:
        return self._form_class()

    @property
    def form(self) -> forms.Form:
        if not hasattr(self, "_form"):
            form = super().form
            for name in ("category", "area", "department"):
                form.fields[name].queryset = self.filters[name].queryset
            user = getattr(self.request, "user", None)
            if user is not None and user.is_authenticated:
                form.fields["area"].user = user
        return self._form

    @property
    def searches(self) -> bool:
        """Whether the search box is filled in (a valid filter with a non-blank ``q``)."""
        return (
            self.is_bound
            and self.is_valid()
            and bool((self.form.cleaned_data.get("q") or "").strip())
        )

    # The filters that compare with the time of the request (a case falls overdue, a month
    # ends, without any write): a list narrowed by one cannot keep its count.
    CLOCK_FILTERS = ("overdue", "figure")

    @property
    def reads_the_clock(self) -> bool:
        """Whether a valid filter compares with the time of the request (:attr:`CLOCK_FILTERS`
        given a value)."""
        if not (self.is_bound and self.is_valid()):
            return False
        data = self.form.cleaned_data
        return any(data.get(name) not in (None, "") for name in self.CLOCK_FILTERS)

    def _given(self, name: str) -> bool:
        """Whether the data hold a value for the field ``name`` (an empty one counts as none)."""
        key = f"{self.form_prefix}-{name}" if self.form_prefix else name
        return self.is_bound and self.data.get(key) not in (None, "")

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # A case number (or its start: "2026-0001") is an index prefix lookup, nothing else.
        if CASE_NUMBER_START.fullmatch(value):
            return queryset.filter(number__startswith=value)
        return queryset.filter(_text_q(("title", "address"), value, queryset.db))

    def filter_category(self, queryset, name, value):
        return queryset.filter(Category.subtree_q(value, prefix="category__"))

    def filter_area(self, queryset, name, value):
        # A community or a grid is the case's kept column, as in a scope at that area: with the
        # subtree's join PostgreSQL read a search's text index once per area of the community
        # (a street admin's ?area=<community>&q=井盖: 99 ms at a million cases, issue 15).
        return queryset.filter(under_q(Case, value))

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.overdue() if value else queryset.exclude(Case.overdue_q())

    def filter_figure(self, queryset, name, value):
        data = self.form.cleaned_data
        period = stats_periods.preset("month")
        first, last = data.get("figure_from"), data.get("figure_to")
        if first or last:
            period = stats_periods.Period(first or last, last or first)
        return queryset.filter(stats_figures.cases_q(value, period, timezone.now()))

    def filter_nothing(self, queryset, name, value):
        return queryset  # read by filter_figure

    def filter_box(self, queryset, name, value):
        south, west, north, east = value
        return queryset.filter(
            latitude__gte=south, latitude__lte=north, longitude__gte=west, longitude__lte=east
        )

    # Dates are local calendar days; comparing with an aware range keeps the index usable.
    def filter_reported_from(self, queryset, name, value):
        return queryset.filter(reported_at__gte=_start_of(value))

    def filter_reported_to(self, queryset, name, value):
        return queryset.filter(reported_at__lt=_start_of(value + timedelta(days=1)))


def searches(data) -> bool:
    """Whether the query parameters ``data`` search the cases' text: a ``q`` with words, not a
    case number (an index lookup like any other filter)."""
    value = (data.get("q") or "").strip()
    return bool(value) and not CASE_NUMBER_START.fullmatch(value)


class _TextMatch(Expression):
    """The text search's condition on PostgreSQL (see :func:`_text_q`), as one expression:
    ``(grams of one field hold the query's, or the name is the query) [AND (one field contains
    the query, or the name is the query)]``. ``casework_grams(text)`` gives the character pairs
    and triples of a text, which the GIN indexes of the title and the address hold (migrations
    0019, 0025); ``casework_bigrams`` and ``casework_trigrams`` give its pairs or its triples.

    The same SQL as these conditions built of Django's functions and lookups (``Upper``,
    ``StrIndex``, a ``Func`` per SQL function, one ``Q`` per field), written out here: built and
    compiled that way, the condition cost 0.5-0.8 ms of a search's CPU (every function resolved,
    copied and compiled on its own, twice for the lookups' sides), issue 15."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, fields: tuple[str, ...], name: str, value: str) -> None:
        super().__init__()
        self.columns = [F(field) for field in fields]
        self.name = F(name)
        self.value = value

    def get_source_expressions(self):
        return [*self.columns, self.name]

    def set_source_expressions(self, exprs):
        *self.columns, self.name = exprs

    def as_sql(self, compiler, connection):
        columns = [compiler.compile(column)[0] for column in self.columns]
        name = compiler.compile(self.name)[0]
        wanted = "casework_bigrams" if len(self.value) == 2 else "casework_trigrams"
        grams = [f"(casework_grams(UPPER({column})) @> {wanted}(UPPER(%s)))" for column in columns]
        sql = " OR ".join([*grams, f"{name} = %s"])
        params = [self.value] * (len(columns) + 1)
        if len(self.value) > 2:
            contains = [f"STRPOS(UPPER({column}), UPPER(%s)) > 0" for column in columns]
            sql = f"({sql}) AND ({' OR '.join([*contains, f'{name} = %s'])})"
            params *= 2
        return f"({sql})", params


def _text_q(fields: tuple[str, ...], value: str, using: str) -> Q:
    """One of ``fields`` contains ``value`` ignoring case, or the reporter's name is ``value``.

    On PostgreSQL a query of two or more characters is first narrowed by the GIN indexes of the
    fields' character pairs and triples (a Chinese word is often two characters, which pg_trgm
    cannot serve): a query of two characters asks for its pair, one of three or more for its
    triples alone — a triple is rarer than a pair (路12号's triples are both in 3,334 addresses
    of the benchmark's million, its pairs all in 10,000). For two characters the pair is the
    match: the planner then estimates the rows from the index's statistics alone (a common word
    walks the list order, a rare one reads the indexes). From three on a check of the text keeps
    the match exact (路12 12号 holds every triple of 路12号), and keeps the walk of a common
    phrase cheap: the planner checks each row's text first and computes the grams of those that
    pass only (with its triple alone as the condition, 路12, in one address in 27, walked 27,558
    rows computing the grams of each: 0.9 s). One character, and SQLite, scan (``LIKE``).

    The narrowing and the exact match are two conditions, (grams of one field or the name) and
    (the text of one field or the name), not one OR of (grams and text) per field: the same
    rows (a field that contains the word holds its grams), but the planner takes the first for
    the indexes (answered exactly, no recheck) and runs only the text check on each candidate
    row. Written per field, every candidate computed the grams of both fields again in the
    filter (30–55 µs a row on the loaded benchmark machine: 0.3 s for the 10,000 candidates of
    路12号, in one address in 300, at a million cases; issue 15).

    The text check is ``strpos(UPPER(field), UPPER(value)) > 0``, not ``UPPER(field) LIKE
    '%value%'``: the same rows (a literal string, nothing to escape), but the planner estimates
    a ``LIKE`` of four characters as rare and multiplies that with the grams' estimate, as if
    the two were independent — it took the 3,334 matches of 路12号 for one row and joined each
    to the areas of the scope by a nested loop over a sequential scan (a third of the search's
    time at a million cases). ``strpos`` it takes for common, leaving the grams' estimate."""
    if len(value) < 2 or connections[using].vendor != "postgresql":
        name = Q(reporter_name=value)
        return Q(*(Q(**{f"{field}__icontains": value}) for field in fields), name, _connector=Q.OR)
    return Q(_TextMatch(fields, "reporter_name", value))


def _start_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
