"""Import of party members and co-construction units, on the grids app's import machinery
(:mod:`grids.imports`: template, preview with every row's problems, all or nothing, idempotent
upsert by natural key). Party officers and street admins import them inside the subtrees where
they change party-building records (``permissions.may_change_in``).

- Party members are matched by their resident ID number (check digit validated); their
  organization is named as in the portal and must be one the importer changes; a number
  registered with an organization outside the importer's reach is a problem of its row, and no
  message repeats an ID number or phone (they stay masked). A member's status is set when they
  are registered; later it moves only through its own step, so a re-import leaves it.
- Co-construction units are matched by name and stationed in an area (by code) the importer
  changes.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields

from grids.imports import (
    BATCH_SIZE,
    CHINESE_NAMES,
    BulkRowsMixin,
    ChoiceWidget,
    DateWidget,
    ImportOptions,
    ImportSpec,
    IntegerWidget,
    Problem,
    RowsResource,
    TextWidget,
    YesNoWidget,
    _text,
    column_values,
    register_kind,
)
from grids.models import Area, AreaKind, Gender, ImportKind
from grids.models.residents import resident_id_problem
from partybuilding.models import (
    UNIT_FIELDS,
    CoConstructionUnit,
    MemberStatus,
    PartyMember,
    PartyOrganization,
    UnitKind,
)
from partybuilding.permissions import PARTY_CHANGE_ROLES, may_change_in

CHINESE_NAMES[MemberStatus] = {
    MemberStatus.FULL: ("正式党员",),
    MemberStatus.PROBATIONARY: ("预备党员",),
}
CHINESE_NAMES[UnitKind] = {
    UnitKind.ORGAN: ("机关", "机关单位"),
    UnitKind.SCHOOL: ("学校",),
    UnitKind.HOSPITAL: ("医院",),
    UnitKind.ENTERPRISE: ("企业",),
    UnitKind.SOCIAL_ORGANIZATION: ("社会组织",),
    UnitKind.MERCHANT: ("商户", "商家"),
}


class PartyMemberResource(BulkRowsMixin, RowsResource):
    # One member per ID number: checked against the numbers loaded for the file and its earlier
    # rows.
    unique_preloaded = True
    loaded_relations = ("organization", "home_building")

    organization = fields.Field(
        column_name="所在党组织", attribute="organization", widget=TextWidget()
    )
    name = fields.Field(column_name="姓名", attribute="name", widget=TextWidget())
    gender = fields.Field(column_name="性别", attribute="gender", widget=ChoiceWidget(Gender))
    id_number = fields.Field(column_name="身份证号", attribute="id_number", widget=TextWidget())
    phone = fields.Field(column_name="联系电话", attribute="phone", widget=TextWidget())
    join_date = fields.Field(column_name="入党日期", attribute="join_date", widget=DateWidget())
    status = fields.Field(
        column_name="党员类别",
        attribute="status",
        widget=ChoiceWidget(MemberStatus, MemberStatus.FULL),
    )
    home_building = fields.Field(
        column_name="居住楼栋编码", attribute="home_building", widget=TextWidget()
    )
    in_service = fields.Field(column_name="在职党员", attribute="in_service", widget=YesNoWidget())
    work_unit = fields.Field(column_name="工作单位", attribute="work_unit", widget=TextWidget())

    class Meta(ImportOptions):
        model = PartyMember
        fields = (
            "organization",
            "name",
            "gender",
            "id_number",
            "phone",
            "join_date",
            "status",
            "home_building",
            "in_service",
            "work_unit",
        )
        import_id_fields = ("id_number",)
        use_bulk = True
        batch_size = BATCH_SIZE
        skip_diff = True

    def before_import(self, dataset, **kwargs):
        names = sorted(column_values(dataset, "所在党组织"))
        self.organizations: dict[str, list[PartyOrganization]] = {}
        for org in PartyOrganization.objects.filter(name__in=names).select_related("area"):
            if may_change_in(self.user, org.area):
                self.organizations.setdefault(org.name, []).append(org)
        numbers = sorted(v.upper() for v in column_values(dataset, "身份证号"))
        self.members = {
            m.id_number: m
            for m in PartyMember.objects.filter(id_number__in=numbers).select_related(
                "organization__area"
            )
        }
        codes = sorted(column_values(dataset, "居住楼栋编码"))
        self.buildings = {
            a.code: a
            for a in Area.objects.filter(
                code__in=codes, kind__in=[AreaKind.BUILDING, AreaKind.UNIT]
            )
            if may_change_in(self.user, a)
        }
        self.seen: set[str] = set()

    def get_instance(self, instance_loader, row):
        number = _text(row.get("身份证号")).upper()
        member = self.members.get(number) if number else None
        if member is not None and not may_change_in(self.user, member.organization.area):
            raise Problem(
                {
                    "id_number": _(
                        "This member is registered with an organization outside your area."
                    )
                }
            )
        return self.remember(member)

    def get_bulk_update_fields(self):
        # The status moves only through its step: a changed member's row never writes it. The
        # year of birth follows the ID number.
        fields = [f for f in super().get_bulk_update_fields() if f != "status"]
        return [*fields, "birth_year"]

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute == "organization":
            name = _text(row.get("所在党组织"))
            found = self.organizations.get(name, [])
            if not name:
                raise Problem({"organization": _("Give the party organization.")})
            if not found:
                raise Problem(
                    {
                        "organization": _("No party organization “%(name)s” in your area.")
                        % {"name": name}
                    }
                )
            if len(found) > 1:
                raise Problem(
                    {
                        "organization": _("Several organizations are called “%(name)s”.")
                        % {"name": name}
                    }
                )
            instance.organization = found[0]
            return
        if field.attribute == "home_building":
            code = _text(row.get("居住楼栋编码"))
            building = self.buildings.get(code) if code else None
            if code and building is None:
                raise Problem(
                    {
                        "home_building": _("No building with code %(code)s in your area.")
                        % {"code": code}
                    }
                )
            instance.home_building = building
            return
        if field.attribute == "id_number":
            number = _text(row.get("身份证号")).upper()
            problem = resident_id_problem(number) if number else _("Give the ID number.")
            if problem:
                raise Problem({"id_number": problem})
            if number in self.seen:
                raise Problem({"id_number": _("This ID number is on an earlier row of the file.")})
            self.seen.add(number)
            instance.id_number = number
            return
        if field.attribute == "status" and instance.pk:
            return  # a registered member's status moves only through its step
        super().import_field(field, instance, row, is_m2m=is_m2m, **kwargs)

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        if instance.birth_year is None and instance.id_number:
            instance.birth_year = int(instance.id_number[6:10])


class UnitResource(BulkRowsMixin, RowsResource):
    # One unit per name: checked against the names loaded for the file and its earlier rows.
    unique_preloaded = True
    loaded_relations = ("area",)

    name = fields.Field(column_name="单位名称", attribute="name", widget=TextWidget())
    kind = fields.Field(column_name="单位类型", attribute="kind", widget=ChoiceWidget(UnitKind))
    area = fields.Field(column_name="所在区域编码", attribute="area", widget=TextWidget())
    address = fields.Field(column_name="地址", attribute="address", widget=TextWidget())
    contact_name = fields.Field(column_name="联系人", attribute="contact_name", widget=TextWidget())
    contact_phone = fields.Field(
        column_name="联系电话", attribute="contact_phone", widget=TextWidget()
    )
    party_organization_name = fields.Field(
        column_name="单位党组织", attribute="party_organization_name", widget=TextWidget()
    )
    party_member_count = fields.Field(
        column_name="党员人数", attribute="party_member_count", widget=IntegerWidget()
    )
    offers = fields.Field(column_name="可提供资源", attribute="offers", widget=TextWidget())

    class Meta(ImportOptions):
        model = CoConstructionUnit
        fields = UNIT_FIELDS
        import_id_fields = ("name",)
        use_bulk = True
        batch_size = BATCH_SIZE
        skip_diff = True

    def before_import(self, dataset, **kwargs):
        codes = sorted(column_values(dataset, "所在区域编码"))
        self.areas = {
            a.code: a for a in Area.objects.filter(code__in=codes) if may_change_in(self.user, a)
        }
        names = sorted(column_values(dataset, "单位名称"))
        self.units = {
            u.name: u
            for u in CoConstructionUnit.objects.filter(name__in=names).select_related("area")
        }
        self.seen: set[str] = set()

    def get_instance(self, instance_loader, row):
        unit = self.units.get(_text(row.get("单位名称")))
        if unit is not None and not may_change_in(self.user, unit.area):
            raise Problem({"name": _("A unit of this name is registered outside your area.")})
        return self.remember(unit)

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute == "area":
            code = _text(row.get("所在区域编码"))
            area = self.areas.get(code)
            if area is None:
                raise Problem(
                    {"area": _("No area with code %(code)s in your area.") % {"code": code}}
                )
            instance.area = area
            return
        if field.attribute == "name":
            name = _text(row.get("单位名称"))
            if name and name in self.seen:
                raise Problem({"name": _("This unit is on an earlier row of the file.")})
            self.seen.add(name)
        super().import_field(field, instance, row, is_m2m=is_m2m, **kwargs)


def register() -> None:
    register_kind(
        ImportKind.PARTY_MEMBERS,
        ImportSpec(
            PartyMemberResource,
            [
                "青松里社区第一网格党支部",
                "张红",
                "女",
                "110105198001010024",
                "13900001234",
                "2005-07-01",
                "正式党员",
                "1101050990100101001",
                "否",
                "",
            ],
            gettext_lazy("party-members-template"),
            PARTY_CHANGE_ROLES,
            ("身份证号", "联系电话", "居住楼栋编码"),
        ),
    )
    register_kind(
        ImportKind.UNITS,
        ImportSpec(
            UnitResource,
            [
                "区第一人民医院",
                "医院",
                "110105099001",
                "青松路1号",
                "王主任",
                "13900005678",
                "区第一人民医院党委",
                120,
                "义诊、健康讲座",
            ],
            gettext_lazy("units-template"),
            PARTY_CHANGE_ROLES,
            ("所在区域编码", "联系电话"),
        ),
    )
