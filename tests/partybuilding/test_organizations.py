import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from partybuilding import services
from partybuilding.models import OrganizationKind, OrganizationPost, PartyOrganization
from tests.partybuilding.factories import MemberFactory, OrganizationFactory


def test_the_party_tree_is_sound(party):
    assert PartyOrganization.check_tree() == []
    assert party.branch_a1.is_within(party.org_a)
    assert not party.branch_b1.is_within(party.org_a)


def test_it_refuses_a_child_no_deeper_than_its_parent(party):
    with pytest.raises(ValidationError) as exc:
        OrganizationFactory(
            kind=OrganizationKind.COMMUNITY_COMMITTEE,
            name="错位党委",
            area=party.tree.community_a,
            parent=party.branch_a1,
        )
    assert "kind" in exc.value.message_dict
    assert not PartyOrganization.objects.filter(name="错位党委").exists()


def test_it_refuses_an_area_outside_the_parents_area(party):
    with pytest.raises(ValidationError) as exc:
        OrganizationFactory(
            kind=OrganizationKind.BRANCH,
            name="越界支部",
            area=party.tree.grid_b1,
            parent=party.org_a,
        )
    assert "area" in exc.value.message_dict


def test_it_refuses_a_kind_that_does_not_fit_the_area(party):
    with pytest.raises(ValidationError) as exc:
        OrganizationFactory(
            kind=OrganizationKind.PARTY_GROUP,
            name="社区党小组",
            area=party.tree.community_a,
            parent=party.org_a,
        )
    assert "area" in exc.value.message_dict


def test_only_a_street_committee_stands_at_the_top(party):
    with pytest.raises(ValidationError) as exc:
        OrganizationFactory(kind=OrganizationKind.BRANCH, name="孤立支部", area=party.tree.grid_a2)
    assert "parent" in exc.value.message_dict


def test_levels_may_be_skipped(party):
    group = OrganizationFactory(
        kind=OrganizationKind.PARTY_GROUP,
        name="楼栋党小组",
        area=party.tree.building_a1,
        parent=party.org_a,
    )
    assert group.parent_id == party.org_a.pk


def test_it_refuses_a_move_under_a_descendant(party):
    org = PartyOrganization.objects.get(pk=party.org_a.pk)
    org.parent = party.branch_a1
    with pytest.raises(ValidationError):
        services.organization_save(actor=party.cast.superuser, organization=org)
    assert PartyOrganization.check_tree() == []


def test_an_officer_cannot_create_an_organization_in_another_community(party):
    org = PartyOrganization(
        kind=OrganizationKind.BRANCH,
        name="柳荫第二支部",
        area=party.tree.grid_b1,
        parent=party.org_b,
    )
    with pytest.raises(PermissionDenied):
        services.organization_save(actor=party.officer_a, organization=org)
    assert not PartyOrganization.objects.filter(name="柳荫第二支部").exists()


def test_an_officer_creates_a_branch_in_their_community(party):
    org = PartyOrganization(
        kind=OrganizationKind.BRANCH,
        name="青松第二支部",
        area=party.tree.grid_a2,
        parent=party.org_a,
    )
    services.organization_save(actor=party.officer_a, organization=org)
    assert org.is_within(party.org_a)
    assert PartyOrganization.check_tree() == []


def test_an_organization_has_one_sitting_secretary(party):
    second = MemberFactory(organization=party.branch_a1, name="周志明")
    services.post_save(
        actor=party.officer_a,
        post=OrganizationPost(
            organization=party.branch_a1,
            member=party.member_a,
            position="secretary",
            term_start=dt.date(2024, 1, 1),
        ),
    )
    with pytest.raises(ValidationError):
        services.post_save(
            actor=party.officer_a,
            post=OrganizationPost(
                organization=party.branch_a1,
                member=second,
                position="secretary",
                term_start=dt.date(2025, 1, 1),
            ),
        )
    sitting = OrganizationPost.objects.get(organization=party.branch_a1)
    sitting.ceased_on = dt.date(2025, 1, 1)
    services.post_save(actor=party.officer_a, post=sitting)
    services.post_save(
        actor=party.officer_a,
        post=OrganizationPost(
            organization=party.branch_a1,
            member=second,
            position="secretary",
            term_start=dt.date(2025, 1, 1),
        ),
    )
    assert OrganizationPost.objects.filter(organization=party.branch_a1).count() == 2


def test_an_organization_with_members_is_not_deleted(party):
    with pytest.raises(ValidationError):
        services.organization_delete(actor=party.officer_a, organization=party.branch_a1)
