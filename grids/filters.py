import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from governance.filters import IdFilter
from grids.models import Area, AreaKind, GridStaff


class AreaFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=AreaKind.choices)
    parent = IdFilter(field_name="parent_id")
    within = IdFilter(method="filter_within", label=_("within area (subtree)"))
    search = django_filters.CharFilter(method="filter_search", label=_("name or code"))

    class Meta:
        model = Area
        fields = ("kind", "parent", "within", "search")

    def filter_within(self, queryset, name, value):
        node = Area.objects.filter(pk=value).first()
        if node is None:
            return queryset.none()
        return queryset.within(node)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        return (
            queryset.filter(Q(name__icontains=value) | Q(code__startswith=value))
            if value
            else queryset
        )


class GridStaffFilterSet(django_filters.FilterSet):
    area = IdFilter(field_name="area_id")
    within = IdFilter(method="filter_within", label=_("within area (subtree)"))
    position = django_filters.MultipleChoiceFilter(choices=GridStaff.Position.choices)

    class Meta:
        model = GridStaff
        fields = ("area", "within", "position")

    def filter_within(self, queryset, name, value):
        node = Area.objects.filter(pk=value).first()
        if node is None:
            return queryset.none()
        return queryset.filter(Area.subtree_q(node, prefix="area__"))
