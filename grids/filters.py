import django_filters
from django.utils.translation import gettext_lazy as _

from governance.filters import IdFilter, NameSearchFilter
from grids.models import Area, AreaKind, GridStaff


class AreaFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=AreaKind.choices)
    parent = IdFilter(field_name="parent_id")
    within = IdFilter(method="filter_within", label=_("within area (subtree)"))
    search = NameSearchFilter(field_name="name", code_field="code", label=_("name or code"))

    class Meta:
        model = Area
        fields = ("kind", "parent", "within", "search")

    def filter_within(self, queryset, name, value):
        node = Area.objects.filter(pk=value).first()
        if node is None:
            return queryset.none()
        return queryset.within(node)


class GridStaffFilterSet(django_filters.FilterSet):
    area = IdFilter(field_name="area_id")
    within = IdFilter(method="filter_within", label=_("within area (subtree)"))
    position = django_filters.MultipleChoiceFilter(choices=GridStaff.Position.choices)
    search = NameSearchFilter(field_name="name")

    class Meta:
        model = GridStaff
        fields = ("area", "within", "position", "search")

    def filter_within(self, queryset, name, value):
        node = Area.objects.filter(pk=value).first()
        if node is None:
            return queryset.none()
        return queryset.filter(Area.subtree_q(node, prefix="area__"))
