"""Filters of the field-work API lists (applied to querysets already scoped by the selectors)."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.filters import IdFilter
from grids.field_selectors import overdue_q
from grids.models import (
    Area,
    DangerCategory,
    DangerState,
    HiddenDanger,
    MobilizationReport,
    MobilizationSignup,
    MobilizationTarget,
    MobilizationTask,
    Patrol,
    PatrolFinding,
    TargetStatus,
    TaskStatus,
)


class _WithinMixin:
    """``within=<area id>``: rows whose area lies in that area's subtree."""

    within_prefix = "area__"

    def filter_within(self, queryset, name, value):
        node = Area.objects.filter(pk=value).first()
        if node is None:
            return queryset.none()
        return queryset.filter(Area.subtree_q(node, prefix=self.within_prefix))


class PatrolFilterSet(_WithinMixin, django_filters.FilterSet):
    worker = IdFilter(field_name="worker_id")
    within = IdFilter(method="filter_within", label=_("within area (subtree)"))
    is_open = django_filters.BooleanFilter(field_name="ended_at", lookup_expr="isnull")
    started_from = django_filters.DateFilter(field_name="started_at", lookup_expr="date__gte")
    started_to = django_filters.DateFilter(field_name="started_at", lookup_expr="date__lte")

    class Meta:
        model = Patrol
        fields = ("worker", "within", "is_open", "started_from", "started_to")


class PatrolFindingFilterSet(_WithinMixin, django_filters.FilterSet):
    patrol = IdFilter(field_name="patrol_id")
    within = IdFilter(method="filter_within", label=_("within area (subtree)"))
    filed = django_filters.BooleanFilter(field_name="case", lookup_expr="isnull", exclude=True)

    class Meta:
        model = PatrolFinding
        fields = ("patrol", "within", "filed")


class HiddenDangerFilterSet(_WithinMixin, django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=DangerState.choices)
    category = django_filters.MultipleChoiceFilter(choices=DangerCategory.choices)
    within = IdFilter(method="filter_within", label=_("within area (subtree)"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("overdue"))
    assignee = IdFilter(field_name="assignee_id")

    class Meta:
        model = HiddenDanger
        fields = ("state", "category", "within", "overdue", "assignee")

    def filter_overdue(self, queryset, name, value):
        q = overdue_q(timezone.now())
        return queryset.filter(q) if value else queryset.exclude(q)


class MobilizationTaskFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=TaskStatus.choices)

    class Meta:
        model = MobilizationTask
        fields = ("status", "kind")


class MobilizationTargetFilterSet(django_filters.FilterSet):
    task = IdFilter(field_name="task_id")
    grid = IdFilter(field_name="grid_id")
    community = IdFilter(field_name="community_id")
    status = django_filters.MultipleChoiceFilter(choices=TargetStatus.choices)

    class Meta:
        model = MobilizationTarget
        fields = ("task", "grid", "community", "status")


class MobilizationSignupFilterSet(django_filters.FilterSet):
    task = IdFilter(field_name="target__task_id")
    target = IdFilter(field_name="target_id")

    class Meta:
        model = MobilizationSignup
        fields = ("task", "target")


class MobilizationReportFilterSet(django_filters.FilterSet):
    task = IdFilter(field_name="target__task_id")
    target = IdFilter(field_name="target_id")

    class Meta:
        model = MobilizationReport
        fields = ("task", "target")
