"""The one rule for personal data: masks, reveals (logged, with a reason), searches, sorting."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from governance import privacy
from governance.models import PersonalDataAccess, Role
from partybuilding.models import OrganizationKind, PartyMember
from tests.conftest import _with_role
from tests.partybuilding.factories import MemberFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def phones(monkeypatch):
    """Members' phones as a personal field readable by party officers in scope (registered here
    so that the core is tested apart from how an app uses it)."""
    monkeypatch.setitem(
        privacy._registry,
        PartyMember,
        {
            "phone": privacy.PersonalField(
                "phone", privacy.Kind.PHONE, frozenset({Role.PARTY_OFFICER})
            )
        },
    )


@pytest.fixture
def members(tree):
    root = OrganizationFactory(kind=OrganizationKind.STREET_COMMITTEE, area=tree.street)
    org_a = OrganizationFactory(
        kind=OrganizationKind.COMMUNITY_COMMITTEE, area=tree.community_a, parent=root
    )
    org_b = OrganizationFactory(
        kind=OrganizationKind.COMMUNITY_COMMITTEE, area=tree.community_b, parent=root
    )
    return (
        MemberFactory(organization=org_a, name="李建国", phone="13912345678"),
        MemberFactory(organization=org_b, name="王秀兰", phone="13787654321"),
    )


@pytest.mark.parametrize(
    ("kind", "value", "shown"),
    [
        (privacy.Kind.PHONE, "13912345678", "139****5678"),
        (privacy.Kind.PHONE, "12345", "*****"),
        (privacy.Kind.ID_NUMBER, "11010519491231002X", "1101**********002X"),
        (privacy.Kind.NAME, "欧阳娜娜", "欧***"),
        (privacy.Kind.ADDRESS, "青松里小区3号楼2单元501", "青松里小区3号" + "*" * 7),
    ],
)
def test_masks_keep_only_what_identifies_nobody(kind, value, shown):
    assert privacy.mask_value(kind, value) == shown


def test_an_officer_in_scope_reveals_with_a_reason_and_the_read_is_logged(tree, members, phones):
    officer = _with_role("party_officer", tree.community_a)
    member_a, _member_b = members

    value = privacy.reveal(
        user=officer, obj=member_a, name="phone", reason="走访联系", interface="web"
    )

    assert value == "13912345678"
    entry = PersonalDataAccess.objects.get()
    assert (entry.user, entry.object_id, entry.field, entry.interface, entry.reason) == (
        officer,
        str(member_a.pk),
        "phone",
        "web",
        "走访联系",
    )
    assert entry.area_id == member_a.organization.area_id


def test_a_reveal_needs_a_reason_and_writes_nothing_without_one(tree, members, phones):
    officer = _with_role("party_officer", tree.community_a)
    with pytest.raises(ValidationError) as error:
        privacy.reveal(user=officer, obj=members[0], name="phone", reason="  ", interface="web")
    assert "reason" in error.value.message_dict
    assert not PersonalDataAccess.objects.exists()


def test_it_refuses_another_community_and_other_roles(tree, members, phones, cast):
    officer_a = _with_role("party_officer", tree.community_a)
    _member_a, member_b = members
    with pytest.raises(PermissionDenied):
        privacy.reveal(user=officer_a, obj=member_b, name="phone", reason="x", interface="api")
    with pytest.raises(PermissionDenied):
        privacy.reveal(
            user=cast.viewer_a, obj=members[0], name="phone", reason="x", interface="api"
        )
    assert not PersonalDataAccess.objects.exists()


def test_a_masked_field_is_matched_only_whole_where_it_is_masked(tree, members, phones, cast):
    member_a, member_b = members
    officer_a = _with_role("party_officer", tree.community_a)

    def found(user, term):
        q = privacy.search_q(user, PartyMember, "phone", term)
        return set(PartyMember.objects.filter(q))

    # A viewer sees every phone masked: a fragment finds nothing, the whole number finds its row.
    assert found(cast.viewer_a, "1391") == set()
    assert found(cast.viewer_a, "5678") == set()
    assert found(cast.viewer_a, "13912345678") == {member_a}
    # The officer of A reveals A's numbers (logged) but searches them whole like everyone: a
    # fragment search would read the hidden digits without a trace in the log.
    assert found(officer_a, "139") == set()
    assert found(officer_a, "13912345678") == {member_a}
    assert found(officer_a, "13787654321") == {member_b}


def test_personal_fields_are_not_sortable_except_for_superusers(cast, phones):
    assert not privacy.sortable(cast.viewer_a, PartyMember, "-phone")
    assert privacy.sortable(cast.viewer_a, PartyMember, "name")
    assert privacy.sortable(cast.superuser, PartyMember, "phone")


def test_the_log_is_append_only(tree, members, phones):
    officer = _with_role("party_officer", tree.community_a)
    privacy.reveal(user=officer, obj=members[0], name="phone", reason="回访", interface="web")
    entry = PersonalDataAccess.objects.get()
    entry.reason = "改掉"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        PersonalDataAccess.objects.all().delete()
