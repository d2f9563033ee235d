"""The one case filter: the list page and the API take the same parameters."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.models import Case, Category, Holder, Priority, Satisfaction, Source, Status
from governance.models import Department
from governance.scopes import departments_for, visible
from grids.models import Area

# What a case number starts with: the year and a dash, then digits (see CaseNumberCounter).
CASE_NUMBER_START = re.compile(r"\d{4}-\d*")


class CaseFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_text", label=_("Search"), help_text=_("Number, title or address.")
    )
    # distinct=False: no join here can repeat a row, and DISTINCT made PostgreSQL sort every
    # matching row before the first page (2.4 s for status=closed at a million cases).
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices, label=_("Status"), distinct=False
    )
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.all(),
        method="filter_category",
        label=_("Category (with its sub-categories)"),
    )
    area = django_filters.ModelChoiceFilter(
        queryset=Area.objects.all(), method="filter_area", label=_("Area (with everything in it)")
    )
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.order_by("name"), label=_("Department")
    )
    holder = django_filters.ChoiceFilter(
        choices=[c for c in Holder.choices if c[0]], label=_("Held by")
    )
    source = django_filters.MultipleChoiceFilter(
        choices=Source.choices, label=_("Source"), distinct=False
    )
    priority = django_filters.MultipleChoiceFilter(
        choices=Priority.choices, label=_("Priority"), distinct=False
    )
    satisfaction = django_filters.ChoiceFilter(
        choices=Satisfaction.choices, label=_("Satisfaction")
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))
    reported_from = django_filters.DateFilter(
        method="filter_reported_from", label=_("Reported from")
    )
    reported_to = django_filters.DateFilter(method="filter_reported_to", label=_("Reported to"))

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
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only areas the user can see are valid choices (an area outside the scope would only
        # ever match nothing, but the page must not list them).
        user = getattr(self.request, "user", None)
        areas = Area.objects.all()
        if user is not None:
            areas = visible(user, areas)
        self.filters["area"].queryset = areas.order_by(*Area.tree_order())
        departments = Department.objects.order_by("name")
        if user is not None:
            departments = departments_for(user, active=False)
        self.filters["department"].queryset = departments
        self.filters["category"].queryset = Category.objects.order_by(*Category.tree_order())

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # A case number (or its start: "2026-0001") is an index prefix lookup, nothing else.
        if CASE_NUMBER_START.fullmatch(value):
            return queryset.filter(number__startswith=value)
        return queryset.filter(
            Q(title__icontains=value) | Q(address__icontains=value) | Q(reporter_name=value)
        )

    def filter_category(self, queryset, name, value):
        return queryset.filter(Category.subtree_q(value, prefix="category__"))

    def filter_area(self, queryset, name, value):
        return queryset.filter(Area.subtree_q(value, prefix="area__"))

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.overdue() if value else queryset.exclude(Case.overdue_q())

    # Dates are local calendar days; comparing with an aware range keeps the index usable.
    def filter_reported_from(self, queryset, name, value):
        return queryset.filter(reported_at__gte=_start_of(value))

    def filter_reported_to(self, queryset, name, value):
        return queryset.filter(reported_at__lt=_start_of(value + timedelta(days=1)))


def _start_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
