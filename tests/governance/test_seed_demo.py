from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from governance.models import ApiToken, Department, Role, RoleAssignment, User
from governance.scopes import users_managed_by
from grids.models import Area, AreaKind
from partybuilding.demo.stations import OPINIONS
from partybuilding.models import (
    Booking,
    Compound,
    Consortium,
    Opinion,
    PropertyContract,
    UnitPointEntry,
)


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label in {"governance", "grids", "casework", "partybuilding"}
    }


def test_seed_demo_builds_the_street_and_a_second_run_changes_nothing(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    first = row_counts()
    street = Area.objects.get(kind=AreaKind.STREET)
    assert street.name == "青松街道"
    assert Area.objects.filter(parent=street).count() == 6
    assert Area.objects.filter(kind=AreaKind.GRID).count() == 40
    assert Area.objects.filter(kind=AreaKind.MICRO_GRID).count() > 300
    assert Area.check_tree() == []
    admin = User.objects.get(username="jiedao")
    assert admin.check_password("demo-2026")
    assert admin.is_staff and admin.has_perm("grids.change_area")
    # The demo is one street, its root: no district above it, so no district administrator.
    for role in set(Role) - {Role.DISTRICT_ADMIN}:
        assert RoleAssignment.objects.filter(role=role).exists(), role
    # Its departments are the street's, and its role-less accounts were registered there: the
    # street admin manages them.
    assert not Department.objects.exclude(owner=street).exists()
    managed = users_managed_by(admin)
    for username in ("zhiyuan", "canyu01", "chengguan", "wanggeyuan"):
        assert managed.filter(username=username).exists(), username
    assert not managed.filter(username="admin").exists()
    assert ApiToken.objects.filter(user=admin).count() == 2
    assert admin.has_perm("governance.delete_apitoken")
    assert Booking.objects.filter(starts_at__lt=timezone.now()).exists()
    assert Booking.objects.filter(starts_at__gt=timezone.now()).exists()
    assert Compound.objects.count() == PropertyContract.objects.count() > 0
    assert UnitPointEntry.objects.exists()
    assert Consortium.objects.get().members.exists()
    # A deputy's opinion made a case is filed under the sub-category its text is about.
    about = {content: code for outcome, content, code in OPINIONS if outcome == "case"}
    made = Opinion.objects.filter(case__isnull=False).values_list("content", "case__category__code")
    assert made and all(about[content] == code for content, code in made), list(made)

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert row_counts() == first
    assert Area.check_tree() == []
