"""Import of a street's grid staff (with their portal accounts and roles) and of its own
departments, on the machinery of :mod:`grids.imports` (template, preview, all or nothing,
idempotent upsert by natural key).

Only a street admin imports them, and only into their own subtree:

- grid staff are matched by area code, position and name; an account named in 登录账号 is
  created (without a password: the admin sets one, or the person resets it) or, when it exists,
  must be one the admin manages (``users_managed_by``); its role (系统角色) is granted on the
  staff member's area, once. A street admin's role is never granted by a file.
- departments are matched by their code and owned by the importer's street; a code used by a
  city-wide department or another street's is a problem of its row.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields

from governance.bulk import create_logged
from governance.models import Department, Role, RoleAssignment
from governance.models.people import DUPLICATE_NAME
from governance.scopes import reachable, users_managed_by
from grids.imports import (
    BATCH_SIZE,
    CHINESE_NAMES,
    BulkRowsMixin,
    ChoiceWidget,
    DateWidget,
    ImportOptions,
    ImportSpec,
    Problem,
    RowsResource,
    TextWidget,
    YesNoWidget,
    _text,
    column_values,
    register_kind,
    require_importer,
)
from grids.models import Area, GridStaff, ImportKind, StaffPosition

STAFF_IMPORTERS = frozenset({Role.STREET_ADMIN})
# The roles a staff file may grant (on the staff member's area).
GRANTED_ROLES = (
    Role.GRID_WORKER,
    Role.COMMUNITY_DISPATCHER,
    Role.CENTER_SUPERVISOR,
    Role.PARTY_OFFICER,
    Role.VIEWER,
)

CHINESE_NAMES[StaffPosition] = {
    StaffPosition.GRID_LEADER: ("网格长",),
    StaffPosition.FULL_TIME_WORKER: ("专职网格员",),
    StaffPosition.PART_TIME_WORKER: ("兼职网格员",),
    StaffPosition.MICRO_GRID_LEADER: ("微网格长",),
    StaffPosition.BUILDING_LEADER: ("楼组长",),
    StaffPosition.SECOND_BUILDING_LEADER: ("第二楼组长",),
}
CHINESE_NAMES[Role] = {
    Role.GRID_WORKER: ("网格员",),
    Role.COMMUNITY_DISPATCHER: ("社区调度员",),
    Role.CENTER_SUPERVISOR: ("督办员",),
    Role.PARTY_OFFICER: ("党建专干",),
    Role.VIEWER: ("领导",),
    Role.STREET_ADMIN: ("街道管理员",),
}
CHINESE_NAMES[Department.Kind] = {
    Department.Kind.GOVERNMENT: ("职能部门", "政府部门"),
    Department.Kind.PUBLIC_SERVICE: ("公共服务企业",),
    Department.Kind.PROPERTY: ("物业公司",),
}


class StaffResource(BulkRowsMixin, RowsResource):
    # The area and the account come from the rows loaded for the file (in scope, existing).
    unique_preloaded = True
    loaded_relations = ("area", "user")

    area = fields.Field(column_name="区域编码", attribute="area", widget=TextWidget())
    position = fields.Field(
        column_name="岗位", attribute="position", widget=ChoiceWidget(StaffPosition)
    )
    name = fields.Field(column_name="姓名", attribute="name", widget=TextWidget())
    phone = fields.Field(column_name="联系电话", attribute="phone", widget=TextWidget())
    is_party_member = fields.Field(
        column_name="是否党员", attribute="is_party_member", widget=YesNoWidget()
    )
    started_on = fields.Field(column_name="任职日期", attribute="started_on", widget=DateWidget())
    username = fields.Field(column_name="登录账号", widget=TextWidget())
    role = fields.Field(column_name="系统角色", widget=ChoiceWidget(Role))

    class Meta(ImportOptions):
        model = GridStaff
        fields = (
            "area",
            "position",
            "name",
            "phone",
            "is_party_member",
            "started_on",
            "username",
            "role",
        )
        import_id_fields = ("area", "position", "name")
        use_bulk = True
        batch_size = BATCH_SIZE
        skip_diff = True

    def before_import(self, dataset, **kwargs):
        require_importer(self.user, ImportKind.STAFF)
        codes = sorted(column_values(dataset, "区域编码"))
        self.areas = {
            a.code: a
            for a in reachable(self.user, Area.objects.filter(code__in=codes), STAFF_IMPORTERS)
        }
        self.staff = {
            (s.area_id, s.position, s.name): s
            for s in GridStaff.objects.filter(area__in=list(self.areas.values()))
        }
        names = sorted(
            {_text(v) for v in dataset["登录账号"] if _text(v)}
            if "登录账号" in (dataset.headers or [])
            else set()
        )
        User = get_user_model()
        self.users = {u.username: u for u in User.objects.filter(username__in=names)}
        self.managed = set(
            users_managed_by(self.user).filter(username__in=names).values_list("pk", flat=True)
        )
        self.granted = set(
            RoleAssignment.objects.filter(user__username__in=names).values_list(
                "user__username", "role", "area_id"
            )
        )
        self.seen_usernames: set[str] = set()
        # Accounts and roles of rows applied, written before the chunk of staff that names them.
        self.new_users: list = []
        self.new_grants: list[RoleAssignment] = []

    def _area(self, row) -> Area:
        code = _text(row.get("区域编码"))
        if not code:
            raise Problem({"area": _("Give the area code.")})
        area = self.areas.get(code)
        if area is None:
            raise Problem({"area": _("No area with code %(code)s in your area.") % {"code": code}})
        return area

    def get_instance(self, instance_loader, row):
        try:
            area = self._area(row)
            position = self.fields["position"].widget.clean(row.get("岗位"))
        except (ValidationError, ValueError):
            return None  # the row's own check reports them
        return self.remember(self.staff.get((area.pk, position, _text(row.get("姓名")))))

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute == "area":
            instance.area = self._area(row)
            return
        if field.column_name in ("登录账号", "系统角色"):
            return
        super().import_field(field, instance, row, is_m2m=is_m2m, **kwargs)

    def check_row(self, instance, row, errors):
        instance._account = None
        try:
            instance._account = self._account(row, instance)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, []).extend(messages)
        except ValueError as exc:
            errors.setdefault("role", []).append(str(exc))

    def _account(self, row, instance) -> tuple[str, str, bool] | None:
        """(username, role, changes anything) for the row's account, or None without one."""
        username = _text(row.get("登录账号"))
        role = self.fields["role"].widget.clean(row.get("系统角色"))
        if not username:
            if role:
                raise Problem({"username": _("Give the login name that gets the role.")})
            return None
        if len(username) > 150 or not all(c.isalnum() or c in "@.+-_" for c in username):
            raise Problem(
                {"username": _("Letters, digits and @ . + - _ only, at most 150 characters.")}
            )
        if username in self.seen_usernames:
            raise Problem({"username": _("This login name is on an earlier row of the file.")})
        self.seen_usernames.add(username)
        if role and role not in GRANTED_ROLES:
            raise Problem(
                {"role": _("A file may grant: %(roles)s.") % {"roles": "、".join(_role_names())}}
            )
        user = self.users.get(username)
        if user is not None and user.pk not in self.managed:
            raise Problem({"username": _("This account is managed by another street.")})
        area_id = getattr(instance, "area_id", None)
        changes = user is None or bool(role and (username, role, area_id) not in self.granted)
        if user is not None and instance.pk and instance.user_id != user.pk:
            changes = True
        return username, role, changes

    def skip_row(self, instance, original, row, import_validation_errors=None):
        account = getattr(instance, "_account", None)
        if account is not None and account[2]:
            return False
        return super().skip_row(instance, original, row, import_validation_errors)

    def get_bulk_update_fields(self):
        return [*super().get_bulk_update_fields(), "user"]

    def before_save_instance(self, instance, row, **kwargs):
        """The row's account (new: without a password, owned by the staff member's area) and
        role, kept until its chunk is written (:meth:`before_bulk_save`)."""
        account = getattr(instance, "_account", None)
        if account is None or kwargs.get("dry_run"):
            return
        username, role, _changes = account
        user = self.users.get(username)
        if user is None:
            user = get_user_model()(
                username=username,
                full_name=instance.name,
                phone=instance.phone,
                home_area=instance.area,
            )
            user.set_unusable_password()
            self.users[username] = user
            self.new_users.append(user)
        instance.user = user
        if role and (username, role, instance.area_id) not in self.granted:
            self.new_grants.append(RoleAssignment(user=user, role=role, area=instance.area))
            self.granted.add((username, role, instance.area_id))

    def before_bulk_save(self):
        """The new accounts, then the new roles, of the rows applied so far: two bulk writes
        with their change log entries (the chunk of staff then names the accounts' ids)."""
        users, self.new_users = self.new_users, []
        grants, self.new_grants = self.new_grants, []
        create_logged(get_user_model(), users, batch_size=BATCH_SIZE)
        create_logged(RoleAssignment, grants, batch_size=BATCH_SIZE)


def _role_names() -> list[str]:
    return [CHINESE_NAMES[Role][r][0] for r in GRANTED_ROLES]


class DepartmentResource(BulkRowsMixin, RowsResource):
    # A name and a code are unique per owner: checked against the owner's departments loaded
    # for the file and the file's earlier rows (the database constraints back both); the owner
    # is the importer's street, loaded once.
    unique_preloaded = True
    loaded_relations = ("owner",)

    code = fields.Field(column_name="部门编码", attribute="code", widget=TextWidget())
    name = fields.Field(column_name="部门名称", attribute="name", widget=TextWidget())
    kind = fields.Field(
        column_name="类型",
        attribute="kind",
        widget=ChoiceWidget(Department.Kind, Department.Kind.GOVERNMENT),
    )
    phone = fields.Field(column_name="值班电话", attribute="phone", widget=TextWidget())
    is_active = fields.Field(column_name="启用", attribute="is_active", widget=YesNoWidget())

    class Meta(ImportOptions):
        model = Department
        fields = ("code", "name", "kind", "phone", "is_active")
        import_id_fields = ("code",)
        use_bulk = True
        batch_size = BATCH_SIZE
        skip_diff = True

    def before_import(self, dataset, **kwargs):
        # The importer's street (or district) owns the departments (ImportSpec.area_kinds).
        self.owner = require_importer(self.user, ImportKind.DEPARTMENTS)
        codes = sorted(column_values(dataset, "部门编码"))
        # A code is unique per owner: where another street (or the city) uses a code the
        # importer's street uses too, the row is the importer's own department.
        self.existing = {}
        for department in Department.objects.filter(code__in=codes):
            if department.owner_id == self.owner.pk or department.code not in self.existing:
                self.existing[department.code] = department
        # The owner's departments by name (whose name a row may not take).
        self.names = dict(Department.objects.filter(owner=self.owner).values_list("name", "pk"))
        self.seen: set[tuple[str, str]] = set()

    def get_instance(self, instance_loader, row):
        department = self.existing.get(_text(row.get("部门编码")))
        if department is not None and department.owner_id != self.owner.pk:
            raise Problem({"code": _("This code belongs to a department of another street.")})
        return self.remember(department)

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        instance.owner = self.owner

    def check_row(self, instance, row, errors):
        if instance.code:
            self.once_in_file(
                ("code", instance.code), errors, "code",
                _("This department is on an earlier row of the file."),
            )  # fmt: skip
        if instance.name:
            holder = self.names.get(instance.name)
            if holder is not None and holder != instance.pk:
                errors.setdefault("name", []).append(DUPLICATE_NAME)
            else:
                self.once_in_file(("name", instance.name), errors, "name", DUPLICATE_NAME)


def register() -> None:
    register_kind(
        ImportKind.STAFF,
        ImportSpec(
            StaffResource,
            [
                "11010509901001",
                "专职网格员",
                "李建国",
                "13800001234",
                "是",
                "2023-03-01",
                "lijianguo",
                "网格员",
            ],
            gettext_lazy("staff-template"),
            STAFF_IMPORTERS,
            ("区域编码", "联系电话", "登录账号"),
        ),
    )
    register_kind(
        ImportKind.DEPARTMENTS,
        ImportSpec(
            DepartmentResource,
            ["cgzf", "城管执法队", "职能部门", "010-65001234", "是"],
            gettext_lazy("departments-template"),
            STAFF_IMPORTERS,
            ("部门编码", "值班电话"),
            area_kinds=(Area.STREET_KIND, Area.DISTRICT_KIND),
        ),
    )
