"""One FilterSet per list: the pages and the API read the same query parameters."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from governance import pinyin, privacy
from governance.filters import IdFilter
from grids.models import Area
from partybuilding.models import (
    Activity,
    CoConstructionUnit,
    Demand,
    DualReport,
    Meeting,
    MicroWish,
    PairingAgreement,
    PartyMember,
    PartyOrganization,
    PointEntry,
    Project,
    Resource,
    Reward,
    ServiceType,
    Volunteer,
)
from partybuilding.models.organizations import MemberStatus


class WithinAreaFilterSet(django_filters.FilterSet):
    """Adds ``within``: rows whose area lies in the subtree of the given area (a range query)."""

    area_prefix = "area__"
    within = IdFilter(method="filter_within", label=_("within area"))

    def filter_within(self, queryset, name, value):
        node = Area.objects.filter(pk=value).first()
        if node is None:
            return queryset.none()
        return queryset.filter(Area.subtree_q(node, prefix=self.area_prefix))


def _search(*fields, personal: tuple[str, ...] = ()):
    """Substring search over ``fields``; ``personal`` fields are matched as governance.privacy
    allows (a masked value only whole), so that a search cannot recover what a mask hides."""

    def method(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        q = Q()
        for field in fields:
            q |= Q(**{f"{field}__icontains": value})
        user = getattr(self.request, "user", None)
        if "name" in fields and hasattr(queryset.model, pinyin.SEARCH_FIELD):
            q |= pinyin.search_q(value, model=queryset.model, user=user)
        for field in personal:
            q |= privacy.search_q(user, queryset.model, field, value)
        return queryset.filter(q)

    return method


class OrganizationFilterSet(WithinAreaFilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=PartyOrganization.Kind.choices)

    class Meta:
        model = PartyOrganization
        fields = ("kind", "within")


class MemberFilterSet(WithinAreaFilterSet):
    area_prefix = "organization__area__"
    q = django_filters.CharFilter(method="filter_q", label=_("name, phone or work unit"))
    organization = IdFilter(field_name="organization_id")
    status = django_filters.MultipleChoiceFilter(choices=MemberStatus.choices)
    in_service = django_filters.BooleanFilter()
    filter_q = _search("name", "work_unit", personal=("phone", "id_number"))

    class Meta:
        model = PartyMember
        fields = ("q", "organization", "status", "in_service", "within")


class DualReportFilterSet(django_filters.FilterSet):
    community = IdFilter(field_name="community_id")
    kind = django_filters.ChoiceFilter(choices=DualReport.Kind.choices)
    status = django_filters.MultipleChoiceFilter(choices=DualReport.Status.choices)
    service_post = django_filters.ChoiceFilter(choices=ServiceType.choices)
    member = IdFilter(field_name="member_id")

    class Meta:
        model = DualReport
        fields = ("community", "kind", "status", "service_post", "member")


class UnitFilterSet(WithinAreaFilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("name or contact"))
    kind = django_filters.MultipleChoiceFilter(choices=CoConstructionUnit.Kind.choices)
    filter_q = _search("name", "contact_name", "offers")

    class Meta:
        model = CoConstructionUnit
        fields = ("q", "kind", "within")


class AgreementFilterSet(django_filters.FilterSet):
    community = IdFilter(field_name="community_id")
    unit = IdFilter(field_name="unit_id")
    status = django_filters.MultipleChoiceFilter(choices=PairingAgreement.Status.choices)

    class Meta:
        model = PairingAgreement
        fields = ("community", "unit", "status")


class DemandFilterSet(WithinAreaFilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("title"))
    service_type = django_filters.ChoiceFilter(choices=ServiceType.choices)
    source = django_filters.ChoiceFilter(choices=Demand.Source.choices)
    status = django_filters.MultipleChoiceFilter(choices=Demand.Status.choices)
    filter_q = _search("title", "description")

    class Meta:
        model = Demand
        fields = ("q", "service_type", "source", "status", "within")


class ResourceFilterSet(WithinAreaFilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("title"))
    kind = django_filters.ChoiceFilter(choices=Resource.Kind.choices)
    service_type = django_filters.ChoiceFilter(choices=ServiceType.choices)
    is_available = django_filters.BooleanFilter()
    filter_q = _search("title", "description")

    class Meta:
        model = Resource
        fields = ("q", "kind", "service_type", "is_available", "within")


class ProjectFilterSet(WithinAreaFilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("name"))
    status = django_filters.MultipleChoiceFilter(choices=Project.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Project.Kind.choices)
    year = django_filters.NumberFilter()
    top = django_filters.BooleanFilter(
        field_name="parent", lookup_expr="isnull", label=_("top-level only")
    )
    parent = IdFilter(field_name="parent_id")
    filter_q = _search("name", "owner_names")

    class Meta:
        model = Project
        fields = ("q", "status", "kind", "year", "top", "parent", "within")


class WishFilterSet(WithinAreaFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=MicroWish.Status.choices)

    class Meta:
        model = MicroWish
        fields = ("status", "within")


class VolunteerFilterSet(WithinAreaFilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("name or skills"))
    filter_q = _search("name", "skills")

    class Meta:
        model = Volunteer
        fields = ("q", "within")


class ActivityFilterSet(WithinAreaFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Activity.Status.choices)
    service_type = django_filters.ChoiceFilter(choices=ServiceType.choices)
    after = django_filters.DateFilter(field_name="starts_at", lookup_expr="date__gte")
    before = django_filters.DateFilter(field_name="starts_at", lookup_expr="date__lte")

    class Meta:
        model = Activity
        fields = ("status", "service_type", "after", "before", "within")


class PointEntryFilterSet(django_filters.FilterSet):
    volunteer = IdFilter(field_name="volunteer_id")

    class Meta:
        model = PointEntry
        fields = ("volunteer",)


class RewardFilterSet(WithinAreaFilterSet):
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Reward
        fields = ("is_active", "within")


class MeetingFilterSet(WithinAreaFilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=Meeting.Kind.choices)
    status = django_filters.MultipleChoiceFilter(choices=Meeting.Status.choices)
    council = IdFilter(field_name="council_id")
    after = django_filters.DateFilter(field_name="starts_at", lookup_expr="date__gte")
    before = django_filters.DateFilter(field_name="starts_at", lookup_expr="date__lte")

    class Meta:
        model = Meeting
        fields = ("kind", "status", "council", "after", "before", "within")
