from __future__ import annotations

from types import SimpleNamespace

import factory
from factory.django import DjangoModelFactory

from governance.models import Department, RoleAssignment, User
from grids.models import Area, AreaKind, GridStaff

PASSWORD = "pass-word-123"  # every factory-made user's, for signing in through the pages


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password(PASSWORD)


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("owner", "code")

    name = factory.Sequence(lambda n: f"部门{n}")
    code = factory.Sequence(lambda n: f"dept-{n}")
    owner = None


class RoleAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    role = "viewer"


class AreaFactory(DjangoModelFactory):
    class Meta:
        model = Area

    kind = AreaKind.STREET
    name = factory.Sequence(lambda n: f"区域{n}")

    @factory.lazy_attribute
    def code(self):
        if self.parent is None:
            return f"{110101000 + Area.objects.filter(parent=None).count() + 1:09d}"
        return self.parent.next_child_code(self.kind)

    parent = None


class GridStaffFactory(DjangoModelFactory):
    class Meta:
        model = GridStaff

    area = factory.SubFactory(AreaFactory)
    position = GridStaff.Position.FULL_TIME_WORKER
    name = factory.Sequence(lambda n: f"网格员{n}")
    phone = "13800000000"


class AreaTreeFactory:
    @staticmethod
    def build_street() -> SimpleNamespace:
        """street → community A (grids A1, A2) and community B (grid B1); micro-grids, buildings."""
        t = SimpleNamespace()
        t.street = AreaFactory(kind=AreaKind.STREET, name="示范街道", code="110101001")
        t.community_a = AreaFactory(kind=AreaKind.COMMUNITY, name="青松社区", parent=t.street)
        t.community_b = AreaFactory(kind=AreaKind.COMMUNITY, name="柳荫社区", parent=t.street)
        t.grid_a1 = AreaFactory(kind=AreaKind.GRID, name="青松第一网格", parent=t.community_a)
        t.grid_a2 = AreaFactory(kind=AreaKind.GRID, name="青松第二网格", parent=t.community_a)
        t.grid_b1 = AreaFactory(kind=AreaKind.GRID, name="柳荫第一网格", parent=t.community_b)
        t.micro_a1 = AreaFactory(kind=AreaKind.MICRO_GRID, name="青松一微网格", parent=t.grid_a1)
        t.micro_b1 = AreaFactory(kind=AreaKind.MICRO_GRID, name="柳荫一微网格", parent=t.grid_b1)
        t.building_a1 = AreaFactory(
            kind=AreaKind.BUILDING, name="青松里1号楼", parent=t.micro_a1, households=60
        )
        t.building_b1 = AreaFactory(
            kind=AreaKind.BUILDING, name="柳荫里1号楼", parent=t.micro_b1, households=48
        )
        for name in (
            "street",
            "community_a",
            "community_b",
            "grid_a1",
            "grid_a2",
            "grid_b1",
            "micro_a1",
            "micro_b1",
            "building_a1",
            "building_b1",
        ):
            getattr(t, name).refresh_from_db()
        return t


def grant_admin_site_access(user) -> None:
    """Let ``user`` into Django admin with the model permissions the demo grants a street admin."""
    from django.contrib.auth.models import Permission

    user.is_staff = True
    user.save(update_fields=["is_staff"])
    models = ("area", "gridstaff", "department", "roleassignment", "user", "objectchange")
    codenames = [f"{a}_{m}" for m in models for a in ("view", "add", "change", "delete")]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
