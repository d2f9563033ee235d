from __future__ import annotations

from types import SimpleNamespace

import factory
from factory.django import DjangoModelFactory

from governance.models import Department, RoleAssignment, User
from grids.models import Area, AreaKind, GridStaff
from grids.models.areas import CODE_LENGTH

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

        def child(parent, kind, number, name, **fields):
            # The code next_child_code would give in this fresh subtree, without its query.
            width = CODE_LENGTH[kind] - len(parent.code)
            code = f"{parent.code}{number:0{width}d}"
            return AreaFactory(kind=kind, name=name, parent=parent, code=code, **fields)

        t.community_a = child(t.street, AreaKind.COMMUNITY, 1, "青松社区")
        t.community_b = child(t.street, AreaKind.COMMUNITY, 2, "柳荫社区")
        t.grid_a1 = child(t.community_a, AreaKind.GRID, 1, "青松第一网格")
        t.grid_a2 = child(t.community_a, AreaKind.GRID, 2, "青松第二网格")
        t.grid_b1 = child(t.community_b, AreaKind.GRID, 1, "柳荫第一网格")
        t.micro_a1 = child(t.grid_a1, AreaKind.MICRO_GRID, 1, "青松一微网格")
        t.micro_b1 = child(t.grid_b1, AreaKind.MICRO_GRID, 1, "柳荫一微网格")
        t.building_a1 = child(t.micro_a1, AreaKind.BUILDING, 1, "青松里1号楼", households=60)
        t.building_b1 = child(t.micro_b1, AreaKind.BUILDING, 1, "柳荫里1号楼", households=48)
        # Each insert moved the tree fields of the nodes made before it: read them all again,
        # in one query rather than one per node.
        names = [name for name, value in vars(t).items() if isinstance(value, Area)]
        fresh = Area._base_manager.in_bulk([getattr(t, name).pk for name in names])
        for name in names:
            setattr(t, name, fresh[getattr(t, name).pk])
        return t


def grant_admin_site_access(user) -> None:
    """Let ``user`` into Django admin with the model permissions the demo grants a street admin."""
    from django.contrib.auth.models import Permission

    user.is_staff = True
    user.save(update_fields=["is_staff"])
    models = ("area", "gridstaff", "department", "roleassignment", "user", "objectchange")
    codenames = [f"{a}_{m}" for m in models for a in ("view", "add", "change", "delete")]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
