"""Import of the spreadsheets a street already keeps: rooms, and residents with their care tags
(django-import-export resources).

The flow: download a template (Chinese headers and an example row), upload it filled in (.xlsx
or .csv), read a preview that lists every row's problems (row number as in the spreadsheet,
column, message), apply it only when the whole file is valid: all rows in one transaction or
none. Rows are matched by their natural key (a resident by document type and number, a room by
building code and room number), so re-importing the same file changes nothing. Every row's
building must lie in the importer's area (the keepers of the register). Each applied import is
one :class:`~grids.models.ImportRun`, in the change log.

Rows are validated like any other write (``full_clean``: the ID check digit, one resident per
document) and lookups are loaded once per file (buildings, rooms, residents, care tags), not per
row. Residents are written in chunks (:class:`BulkRowsMixin`: a few queries per 1,000 rows, none
per row; the preview writes nothing); after an applied import its tables are analyzed
(PostgreSQL).
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import tablib
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, results, widgets
from openpyxl import load_workbook

from governance import changelog
from governance.bulk import analyze_after_bulk_write, create_logged, update_logged
from governance.exports import untext_cell
from governance.models import Role
from governance.scopes import can_change_under, forget_scope, reachable, scope_of
from grids.models import (
    Area,
    CareTag,
    Gender,
    IdType,
    ImportKind,
    ImportRun,
    PoliticalStatus,
    Relation,
    Resident,
    ResidentCareTag,
    ResidentType,
    Room,
    RoomUse,
)
from grids.models.areas import CODE_LENGTH
from grids.models.residents import HOUSING_KINDS, birth_date_from_id, resident_id_problem
from grids.resident_registry import KEEPER_ROLES
from grids.resident_services import refresh_visit_due

MAX_ROWS = 50_000
logger = logging.getLogger(__name__)

# Files with more rows are imported in the background (a job run by a Celery worker).
SYNC_MAX_ROWS = 2_000
PROGRESS_EVERY = 250
# Rows written per INSERT/UPDATE statement by the resources that write in bulk.
BATCH_SIZE = 1000
# Values per IN list when a file's keys are looked up (SQLite allows 32,766 parameters).
LOOKUP_CHUNK = 5000
# A job's problems kept on its run (the first ones, in row order).
MAX_KEPT_PROBLEMS = 1_000
MAX_BYTES = 20 * 1024 * 1024
TAG_SEPARATORS = ("、", ",", "，", ";", "；", " ")


class Problem(ValidationError):
    """A row's problem on one column (the message is in the user's language)."""


def _text(value) -> str:
    """A cell as text: numbers typed into a text column keep their digits (13912345678.0 →
    "13912345678"), and a cell the portal's export protected from formulas loses its apostrophe."""
    if type(value) is str:  # most cells: no conversion
        return (untext_cell(value) if value.startswith("'") else value).strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(untext_cell(str(value))).strip()


class TextWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return _text(value)


# The words a street's spreadsheets use for each choice (besides the codes and the labels).
CHINESE_NAMES = {
    IdType: {
        IdType.RESIDENT_ID: ("居民身份证", "身份证"),
        IdType.HK_MACAO: ("港澳居民居住证", "港澳居民来往内地通行证", "回乡证"),
        IdType.TAIWAN: ("台湾居民居住证", "台湾居民来往大陆通行证", "台胞证"),
        IdType.FOREIGN_PERMANENT: ("外国人永久居留身份证", "外国人永久居留证"),
        IdType.PASSPORT: ("护照",),
    },
    Gender: {Gender.MALE: ("男",), Gender.FEMALE: ("女",)},
    PoliticalStatus: {
        PoliticalStatus.PARTY_MEMBER: ("中共党员", "党员"),
        PoliticalStatus.PROBATIONARY: ("中共预备党员", "预备党员"),
        PoliticalStatus.LEAGUE_MEMBER: ("共青团员", "团员"),
        PoliticalStatus.OTHER_PARTY: ("民主党派",),
        PoliticalStatus.MASSES: ("群众",),
    },
    ResidentType: {
        ResidentType.REGISTERED: ("常住", "常住人口", "户籍"),
        ResidentType.FLOATING: ("流动", "流动人口"),
    },
    Relation: {
        Relation.HOUSEHOLDER: ("户主", "本人"),
        Relation.SPOUSE: ("配偶", "妻", "夫"),
        Relation.CHILD: ("子女", "子", "女"),
        Relation.PARENT: ("父母", "父亲", "母亲"),
        Relation.GRANDCHILD: ("孙子女", "孙子", "孙女", "外孙", "外孙女"),
        Relation.SIBLING: ("兄弟姐妹",),
        Relation.OTHER: ("其他亲属", "其他"),
        Relation.TENANT: ("租户", "租客"),
    },
    RoomUse: {
        RoomUse.SELF_OCCUPIED: ("自住",),
        RoomUse.RENTED: ("出租",),
        RoomUse.GROUP_RENTED: ("群租",),
        RoomUse.SHOP: ("商铺", "门面"),
        RoomUse.VACANT: ("空置",),
    },
}


class ChoiceWidget(widgets.Widget):
    """A choice by its Chinese name (:data:`CHINESE_NAMES`), its label or its code; empty gives
    ``default``."""

    def __init__(self, choices, default=""):
        super().__init__()
        self.choices = choices
        self.default = default
        self.names = {}
        for code, label in choices.choices:
            for name in (code, str(label), *CHINESE_NAMES.get(choices, {}).get(code, ())):
                self.names.setdefault(name, code)

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if not text:
            return self.default
        if text in self.names:
            return self.names[text]
        known = [names[0] for names in CHINESE_NAMES.get(self.choices, {}).values()]
        raise ValueError(
            _("Unknown value “%(value)s”: use one of %(choices)s.")
            % {"value": text, "choices": "、".join(known)}
        )

    def render(self, value, obj=None, **kwargs):
        names = CHINESE_NAMES.get(self.choices, {}).get(value)
        return names[0] if names else (value or "")


class NumberCell:
    """A number cell whose bad value is the row's problem on its column (the library's number
    widgets raise decimal's InvalidOperation, which no row check catches)."""

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row=row, **kwargs)
        except (ArithmeticError, TypeError, ValueError) as exc:
            raise ValueError(_("Give a number.")) from exc


class IntegerWidget(NumberCell, widgets.IntegerWidget):
    """A whole number."""


class DecimalWidget(NumberCell, widgets.DecimalWidget):
    """A number."""


class DateWidget(widgets.Widget):
    FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d")

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = _text(value)
        if not text:
            return None
        if len(text) == 10 and text[4] == "-":
            try:
                return dt.date.fromisoformat(text)  # the template's form, much faster
            except ValueError:
                pass
        for fmt in self.FORMATS:
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        raise ValueError(_("Write the date as 2024-03-15."))


@dataclass
class Lookups:
    """What a file's rows refer to, loaded once per file."""

    buildings: dict[str, Area] = field(default_factory=dict)
    building_ids: set[int] = field(default_factory=set)
    codes: dict[int, str] = field(default_factory=dict)
    room_numbers: dict[int, str] = field(default_factory=dict)
    rooms: dict[tuple[int, str], Room] = field(default_factory=dict)
    # A stored resident's values by (document type, number), made into an instance when a row
    # matches it (30,000 instances held at once were most of a re-import's memory).
    residents: dict[tuple[str, str], tuple] = field(default_factory=dict)
    tags: dict[tuple[int, str], CareTag] = field(default_factory=dict)


class CountingResult(results.Result):
    """An import's totals and its rows' problems, without a result object kept for every row
    (30,000 of them would be a large share of the import's memory; nothing reads them)."""

    def append_row_result(self, row_result):
        pass

    def row_errors(self):
        # The library reads them from the row results this class does not keep: the rows that
        # raised are kept apart (error_rows), and none may pass unreported (the file would be
        # applied without it).
        return [(row.number, row.errors) for row in self.error_rows]


class ProgressMixin:
    """Calls ``self.progress(rows_done)`` every :data:`PROGRESS_EVERY` rows (a background job
    shows it while the file's transaction is still open)."""

    progress = None
    rows_done = 0

    def import_row(self, row, instance_loader, **kwargs):
        result = super().import_row(row, instance_loader, **kwargs)
        self.rows_done += 1
        if self.progress is not None and self.rows_done % PROGRESS_EVERY == 0:
            self.progress(self.rows_done)
        return result

    @classmethod
    def get_result_class(cls):
        return CountingResult


class ImportOptions:
    """The ``Meta`` options every import resource shares (``class Meta(ImportOptions)``): a row
    the file leaves as it is is skipped, and the model's own checks run on every row."""

    skip_unchanged = True
    clean_model_instances = True
    skip_diff = False
    # The preview lists problems, not diffs: no HTML diff of every row.
    skip_html_diff = True


class RowsResource(ProgressMixin, resources.ModelResource):
    """A resource of the importing ``user`` whose rows' problems are collected per column (a
    widget's ValueError or a :class:`Problem`), so that the preview lists them all."""

    # True when before_import loads every row the file could collide with (by natural key), so
    # the model's own checks run without a uniqueness query per row (the database backs them).
    unique_preloaded = False
    # Foreign keys set from rows loaded in before_import (in scope, existing): not looked up
    # again one row at a time by full_clean.
    loaded_relations: tuple[str, ...] = ()

    def __init__(self, *, user):
        super().__init__()
        self.user = user
        self._import_fields = None

    def get_import_fields(self):
        # The library asks for them several times per row; they are fixed once made.
        if self._import_fields is None:
            self._import_fields = super().get_import_fields()
        return self._import_fields

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        if not self.unique_preloaded:
            return super().validate_instance(instance, import_validation_errors, validate_unique)
        errors = dict(import_validation_errors or {})
        try:
            instance.full_clean(
                exclude=[*errors, *self.loaded_relations],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def handle_import_error(self, result, error, raise_errors=False):
        # A write the rows' checks let through and the database refused (a value that must be
        # unique held twice) is a problem of the file in words, not in the database's (its
        # text, with the constraint and the values, goes to the log). Every known case is a
        # problem of its row before anything is written (check_row); this one is the backstop.
        if isinstance(error, IntegrityError):
            logger.warning("Import of %s refused by the database: %s", self._meta.model, error)
            error = Problem(
                _(
                    "Two rows, or a row and a stored record, would hold a value that must be "
                    "unique: nothing was imported."
                )
            )
        super().handle_import_error(result, error, raise_errors)

    def export_field(self, field, instance, **kwargs):
        # A row whose relation could not be set (its problem is reported) has nothing to show.
        try:
            return super().export_field(field, instance, **kwargs)
        except ObjectDoesNotExist:
            return ""

    def import_instance(self, instance, row, **kwargs):
        errors: dict[str, list] = {}
        for f in self.get_import_fields():
            try:
                self.import_field(f, instance, row, **kwargs)
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    errors.setdefault(name, []).extend(messages)
            except ValueError as exc:
                errors.setdefault(f.attribute, []).append(str(exc))
        self.check_row(instance, row, errors)
        if errors:
            raise ValidationError(errors)

    def check_row(self, instance, row, errors: dict[str, list]) -> None:
        """A resource's own checks of a row once its fields are set: each problem is added to
        ``errors`` (by field), so that the row's problems are reported together."""

    def once_in_file(self, key, errors: dict[str, list], field: str, message) -> None:
        """Report ``message`` on ``field`` when an earlier row of the file had ``key`` (the
        resource's ``seen``, made empty by its ``before_import``)."""
        if key in self.seen:
            errors.setdefault(field, []).append(message)
        self.seen.add(key)


class BulkRowsMixin:
    """Rows written in chunks (``bulk_create``/``bulk_update`` of :data:`BATCH_SIZE` rows inside
    the file's one transaction) instead of a save and a savepoint per row, and a preview that
    writes nothing (every check it needs runs in Python against the rows loaded for the file).

    The library's diff deep-copies every matched row to tell an unchanged one; here a row's
    values are kept as a tuple when it is matched (:meth:`remember`) and compared with what the
    file makes of it. Bulk writes send no signals: a chunk of a model in the change log gets
    the entries its saves would have written, and the process caches that watch the model are
    bumped (``governance.bulk.create_logged``/``update_logged``); for the others the run itself
    (:class:`~grids.models.ImportRun`) is the log entry. A resource's ``Meta`` sets
    ``use_bulk = True``, ``batch_size = BATCH_SIZE`` and ``skip_diff = True``; its
    ``get_instance`` returns the matched row through :meth:`remember`."""

    def remember(self, instance):
        """Keep what ``instance`` holds before the row is applied (None passes through), and
        for the change log a copy of it as it was read."""
        if instance is not None:
            instance._import_original = self._import_values(instance)
            if changelog.is_logged(self._meta.model):
                instance._import_before = copy.copy(instance)
        return instance

    def _import_values(self, instance) -> tuple:
        names = self.__dict__.get("_value_names")
        if names is None:
            model_fields = {f.name: f for f in self._meta.model._meta.concrete_fields}
            names = self._value_names = [
                model_fields[f.attribute].attname
                for f in self.get_import_fields()
                if f.attribute in model_fields
            ]
        return tuple(getattr(instance, name) for name in names)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if instance.pk is None or import_validation_errors:
            return False
        return getattr(instance, "_import_original", None) == self._import_values(instance)

    def get_bulk_update_fields(self):
        names = {f.attribute for f in self.get_import_fields() if f.attribute}
        names -= {self.fields[f].attribute for f in self._meta.import_id_fields}
        concrete = {f.name for f in self._meta.model._meta.concrete_fields}
        return [*sorted(names & concrete), "updated_at"]

    def before_bulk_save(self) -> None:
        """Called before each chunk is written (what its rows refer to is written first)."""

    def after_bulk_save(self, instances: list, *, created: bool) -> None:
        """Called with each chunk once it is written (new rows have their ids)."""

    def create_rows(self, instances: list) -> None:
        """Write a chunk of new rows, with their change log entries."""
        create_logged(self._meta.model, instances, batch_size=self._meta.batch_size)

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        instances, self.create_instances = self.create_instances, []
        if dry_run or not instances:
            return
        try:
            self.before_bulk_save()
            self.create_rows(instances)
            self.after_bulk_save(instances, created=True)
        except Exception as exc:
            self.handle_import_error(result, exc, raise_errors)

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        instances, self.update_instances = self.update_instances, []
        if dry_run or not instances:
            return
        now = timezone.now()
        for instance in instances:
            instance.updated_at = now
        model = self._meta.model
        logged = changelog.is_logged(model)
        try:
            self.before_bulk_save()
            update_logged(
                model,
                instances,
                self.get_bulk_update_fields(),
                before=[
                    changelog.snapshot(i._import_before) if logged else None for i in instances
                ],
                batch_size=self._meta.batch_size,
            )
            self.after_bulk_save(instances, created=False)
        except Exception as exc:
            self.handle_import_error(result, exc, raise_errors)


class YesNoWidget(widgets.Widget):
    """是/否 (also 1/0, true/false); empty is no."""

    YES = ("是", "1", "true", "yes", "y", "√")
    NO = ("否", "0", "false", "no", "n", "")

    def clean(self, value, row=None, **kwargs):
        text = _text(value).lower()
        if text in self.YES:
            return True
        if text in self.NO:
            return False
        raise ValueError(_("Write 是 or 否."))

    def render(self, value, obj=None, **kwargs):
        return "是" if value else "否"


def _chunks(values: list, size: int = LOOKUP_CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def column_values(dataset, column: str) -> set[str]:
    """The non-empty values in ``column`` of the file (none when the column is missing)."""
    if column not in (dataset.headers or []):
        return set()
    return {_text(v) for v in dataset[column] if _text(v)}


class RelatedIdField(fields.Field):
    """A foreign key the resource sets itself from its lookups; read (to tell an unchanged row,
    and by the library's diff) as the id, so that a matched row is never joined to it."""

    def get_value(self, obj):
        return getattr(obj, f"{self.attribute}_id", None) if obj is not None else None


class _ScopedResource(RowsResource):
    """Rows of buildings the user keeps; lookups loaded in ``before_import``."""

    building = RelatedIdField(column_name="楼栋编码", attribute="area", widget=TextWidget())

    def __init__(self, *, user):
        super().__init__(user=user)
        self.lookups = Lookups()

    def _codes(self, dataset) -> set[str]:
        return column_values(dataset, self.fields["building"].column_name)

    def _load_buildings(self, codes: Iterable[str]) -> None:
        qs = Area.objects.filter(code__in=sorted(codes), kind__in=HOUSING_KINDS)
        if not scope_of(self.user).is_superuser:
            qs = reachable(self.user, qs, KEEPER_ROLES)
        self.lookups.buildings = {a.code: a for a in qs}
        self.lookups.building_ids = {a.pk for a in self.lookups.buildings.values()}
        self.lookups.codes = {a.pk: a.code for a in self.lookups.buildings.values()}

    def _building(self, row) -> Area:
        code = _text(row.get(self.fields["building"].column_name))
        if not code:
            raise Problem({"area": _("Give the building code.")})
        building = self.lookups.buildings.get(code)
        if building is None:
            raise Problem(
                {"area": _("No building with code %(code)s in your area.") % {"code": code}}
            )
        return building

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute == "area":
            instance.area = self._building(row)
            return
        super().import_field(field, instance, row, is_m2m=is_m2m, **kwargs)

    # The building and the room are read by id from the file's lookups: a matched row is never
    # joined to them (no query per row, and the library's copy of each row stays small).
    def export_field(self, field, instance, **kwargs):
        if field.attribute == "area":
            return self.lookups.codes.get(instance.area_id, "")
        if field.attribute == "room":
            return self.lookups.room_numbers.get(instance.room_id, "")
        return super().export_field(field, instance, **kwargs)


class RoomResource(BulkRowsMixin, _ScopedResource):
    # One room per building and number: checked against the rooms loaded for the file and its
    # earlier rows (the database constraint backs both).
    unique_preloaded = True
    loaded_relations = ("area",)

    number = fields.Field(column_name="房号", attribute="number", widget=TextWidget())
    floor = fields.Field(column_name="楼层", attribute="floor", widget=IntegerWidget())
    floor_area = fields.Field(
        column_name="建筑面积", attribute="floor_area", widget=DecimalWidget()
    )
    use = fields.Field(
        column_name="房屋用途", attribute="use", widget=ChoiceWidget(RoomUse, RoomUse.SELF_OCCUPIED)
    )
    notes = fields.Field(column_name="备注", attribute="notes", widget=TextWidget())

    class Meta(ImportOptions):
        model = Room
        fields = ("building", "number", "floor", "floor_area", "use", "notes")
        import_id_fields = ("building", "number")
        use_bulk = True
        batch_size = BATCH_SIZE
        skip_diff = True

    def before_import(self, dataset, **kwargs):
        self._load_buildings(self._codes(dataset))
        ids = [b.pk for b in self.lookups.buildings.values()]
        self.lookups.rooms = {
            (r.area_id, r.number): r for r in Room.objects.filter(area_id__in=ids)
        }
        self.lookups.room_numbers = {r.pk: r.number for r in self.lookups.rooms.values()}
        self.seen: set[tuple[int, str]] = set()

    def get_instance(self, instance_loader, row):
        building = self._building(row)
        room = self.lookups.rooms.get((building.pk, _text(row.get("房号"))))
        if room is not None:
            room.area = building  # the same row: its name is in the room's change log entry
        return self.remember(room)

    def check_row(self, instance, row, errors):
        if instance.area_id and instance.number:
            self.once_in_file(
                (instance.area_id, instance.number), errors, "number",
                _("This room is on an earlier row of the file."),
            )  # fmt: skip


class ResidentResource(BulkRowsMixin, _ScopedResource):
    analyzed_models = (Resident, ResidentCareTag)

    room = RelatedIdField(column_name="房号", attribute="room", widget=TextWidget())
    name = fields.Field(column_name="姓名", attribute="name", widget=TextWidget())
    id_type = fields.Field(
        column_name="证件类型",
        attribute="id_type",
        widget=ChoiceWidget(IdType, IdType.RESIDENT_ID),
    )
    id_number = fields.Field(column_name="证件号码", attribute="id_number", widget=TextWidget())
    phone = fields.Field(column_name="联系电话", attribute="phone", widget=TextWidget())
    gender = fields.Field(column_name="性别", attribute="gender", widget=ChoiceWidget(Gender))
    birth_date = fields.Field(column_name="出生日期", attribute="birth_date", widget=DateWidget())
    ethnicity = fields.Field(column_name="民族", attribute="ethnicity", widget=TextWidget())
    political_status = fields.Field(
        column_name="政治面貌",
        attribute="political_status",
        widget=ChoiceWidget(PoliticalStatus, PoliticalStatus.MASSES),
    )
    resident_type = fields.Field(
        column_name="人员类型",
        attribute="resident_type",
        widget=ChoiceWidget(ResidentType, ResidentType.REGISTERED),
    )
    relation = fields.Field(
        column_name="与户主关系", attribute="relation", widget=ChoiceWidget(Relation)
    )
    registered_address = fields.Field(
        column_name="户籍地址", attribute="registered_address", widget=TextWidget()
    )
    moved_in_on = fields.Field(column_name="迁入日期", attribute="moved_in_on", widget=DateWidget())
    care_tags = fields.Field(column_name="关爱标签", widget=TextWidget())

    class Meta(ImportOptions):
        model = Resident
        fields = (
            "building",
            "room",
            "name",
            "id_type",
            "id_number",
            "phone",
            "gender",
            "birth_date",
            "ethnicity",
            "political_status",
            "resident_type",
            "relation",
            "registered_address",
            "moved_in_on",
            "care_tags",
        )
        import_id_fields = ("id_type", "id_number")
        use_bulk = True
        batch_size = BATCH_SIZE
        # Unchanged rows are told by BulkRowsMixin (no deep copy of every matched row).
        skip_diff = True

    def before_import(self, dataset, **kwargs):
        self._load_buildings(self._codes(dataset))
        ids = [b.pk for b in self.lookups.buildings.values()]
        self.lookups.rooms = {
            (r.area_id, r.number): r for r in Room.objects.filter(area_id__in=ids)
        }
        self.lookups.room_numbers = {r.pk: r.number for r in self.lookups.rooms.values()}
        numbers = {
            _text(v).upper() for v in (dataset["证件号码"] if "证件号码" in dataset.headers else [])
        }
        numbers.discard("")
        # Only what a row sets or the model's checks read (see :meth:`get_instance`), in a few
        # queries (an IN list of at most LOOKUP_CHUNK numbers each).
        names = self._loaded_names()
        key = names.index("id_type"), names.index("id_number")
        for chunk in _chunks(sorted(numbers)):
            for values in Resident.objects.filter(id_number__in=chunk).values_list(*names):
                self.lookups.residents[values[key[0]], values[key[1]]] = values
        streets = {b.tree_id for b in self.lookups.buildings.values()}
        self.lookups.tags = {
            (t.street.tree_id, t.name): t
            for t in CareTag.objects.filter(
                street__tree_id__in=streets, active=True
            ).select_related("street")
        }
        self.held: dict[int, set[int]] = {}
        for chunk in _chunks([values[0] for values in self.lookups.residents.values()]):
            for resident_id, tag_id in ResidentCareTag.objects.filter(
                resident_id__in=chunk
            ).values_list("resident_id", "tag_id"):
                self.held.setdefault(resident_id, set()).add(tag_id)
        self.seen: set[tuple[str, str]] = set()

    def get_instance(self, instance_loader, row):
        try:
            id_type = self.fields["id_type"].widget.clean(row.get("证件类型"))
        except ValueError:
            return None  # the row's own check reports the document type
        number = _text(row.get("证件号码")).upper()
        if not number:
            return None
        values = self.lookups.residents.get((id_type, number))
        if values is None:
            return None
        existing = Resident.from_db(DEFAULT_DB_ALIAS, self._loaded_names(), values)
        if existing.area_id not in self.lookups.building_ids:
            raise Problem(
                {"id_number": _("This person is registered in a building outside your area.")}
            )
        return self.remember(existing)

    def _loaded_names(self) -> list[str]:
        """The columns of a stored resident a row needs: its id, what the file sets, and what
        ``Resident.clean`` reads (the others stay deferred: a bulk update writes only the file's
        fields)."""
        names = self.__dict__.get("_loaded")
        if names is None:
            imported = {f.attribute for f in self.get_import_fields()}
            names = self._loaded = ["id"] + [
                f.attname
                for f in Resident._meta.concrete_fields
                if f.name in imported or f.name in ("area", "room", "household")
            ]
        return names

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.column_name == "关爱标签":
            return
        if field.attribute == "room":
            number = _text(row.get("房号"))
            instance.room = None
            if number:
                building = self._building(row)
                room = self.lookups.rooms.get((building.pk, number))
                if room is None:
                    raise Problem(
                        {
                            "room": _("Building %(code)s has no room %(number)s.")
                            % {"code": building.code, "number": number}
                        }
                    )
                instance.room = room
            return
        if field.attribute == "id_number":
            instance.id_number = _text(row.get("证件号码")).upper()
            return
        super().import_field(field, instance, row, is_m2m=is_m2m, **kwargs)

    def _row_tags(self, row, building: Area) -> list[CareTag]:
        text = _text(row.get("关爱标签"))
        for sep in TAG_SEPARATORS[1:]:
            text = text.replace(sep, TAG_SEPARATORS[0])
        names = [n for n in (p.strip() for p in text.split(TAG_SEPARATORS[0])) if n]
        chosen = []
        for name in names:
            tag = self.lookups.tags.get((building.tree_id, name))
            if tag is None:
                raise Problem(
                    {"care_tags": _("The street has no care tag “%(name)s”.") % {"name": name}}
                )
            chosen.append(tag)
        return chosen

    def check_row(self, instance, row, errors):
        if (
            instance.birth_date is None
            and instance.id_type == IdType.RESIDENT_ID
            and instance.id_number
            and resident_id_problem(instance.id_number) is None
        ):
            instance.birth_date = birth_date_from_id(instance.id_number)
        if instance.area_id:
            try:
                instance._import_tags = self._row_tags(row, instance.area)
            except ValidationError as exc:
                errors.update(exc.message_dict)
        # One document per resident: checked against the earlier rows of the file here (an
        # unchanged row is skipped before validate_instance), against the stored residents by
        # get_instance's match; the database constraint backs both.
        if instance.id_number:
            self.once_in_file(
                (instance.id_type, instance.id_number), errors, "id_number",
                _("This ID number is on an earlier row of the file."),
            )  # fmt: skip

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The model's own checks (ID check digit, same building for the room), without a query
        per row."""
        errors = dict(import_validation_errors or {})
        try:
            # The building and the room come from the rows loaded for the file (in scope,
            # existing): full_clean does not look each one up again, nor checks the fields the
            # file does not set (the model's clean() runs whole).
            instance.full_clean(
                exclude=[*errors, "area", "room", *self._not_imported()],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def _not_imported(self) -> list[str]:
        names = self.__dict__.get("_not_imported_names")
        if names is None:
            imported = {f.attribute for f in self.get_import_fields()}
            names = self._not_imported_names = [
                f.name for f in Resident._meta.fields if f.name not in imported
            ]
        return names

    def _new_tags(self, instance) -> list[CareTag]:
        held = self.held.get(instance.pk, set()) if instance.pk else set()
        return [t for t in getattr(instance, "_import_tags", []) if t.pk not in held]

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if instance.pk is None or import_validation_errors or self._new_tags(instance):
            return False
        return super().skip_row(instance, original, row, import_validation_errors)

    def after_save_instance(self, instance, row, **kwargs):
        """Nothing per row: a chunk's care tags follow it (:meth:`after_bulk_save`)."""

    def after_bulk_save(self, instances, *, created):
        """The chunk's new care tags (an import adds tags, never removes one), and when their
        residents are next due a visit (only the tags changed that)."""
        links = []
        for instance in instances:
            links.extend(
                ResidentCareTag(resident_id=instance.pk, tag=t) for t in self._new_tags(instance)
            )
        ResidentCareTag.objects.bulk_create(links, batch_size=self._meta.batch_size)
        refresh_visit_due({link.resident_id for link in links})


KIND_BY_LENGTH = {length: kind for kind, length in CODE_LENGTH.items()}


class AreaResource(BulkRowsMixin, RowsResource):
    """Nodes of the area tree by their national unit-grid code: the code's length says the kind
    and its longest known prefix the parent (a node may come after its parent in the same file).
    Only a street admin imports areas, under nodes of their own subtree.

    Written in bulk through the tree base: new nodes a code length at a time (a parent before
    its children, :meth:`~governance.models.TreeModel.bulk_insert_level`) under the tree's lock,
    the new nodes numbered into the tree once at the end (``number_inserted``: the subtree they
    went under), instead of a save per node that shifted half the tree each time. The preview writes nothing: a node's parent may be a node
    of an earlier row, kept in memory. Which codes are taken (an area has it or a code below
    it) is read once for the file (``Area.codes_taken``), and a stored node is matched by its
    code, so that its code, kind and parent never change: only its own fields are checked."""

    code = fields.Field(column_name="编码", attribute="code", widget=TextWidget())
    name = fields.Field(column_name="名称", attribute="name", widget=TextWidget())
    households = fields.Field(column_name="户数", attribute="households", widget=IntegerWidget())
    population = fields.Field(column_name="人口", attribute="population", widget=IntegerWidget())
    notes = fields.Field(column_name="备注", attribute="notes", widget=TextWidget())

    class Meta(ImportOptions):
        model = Area
        fields = ("code", "name", "households", "population", "notes")
        import_id_fields = ("code",)
        use_bulk = True
        batch_size = BATCH_SIZE
        skip_diff = True

    def __init__(self, *, user):
        super().__init__(user=user)
        # The stored nodes the file names or hangs under, and (``areas``) those with the new
        # nodes of its rows checked so far.
        self.stored: dict[str, Area] = {}
        self.areas: dict[str, Area] = {}
        self.taken: set[str] = set()
        self.seen: set[str] = set()
        self.created = False

    def before_import(self, dataset, **kwargs):
        codes = column_values(dataset, "编码")
        prefixes = {c[:n] for c in codes for n in CODE_LENGTH.values() if n <= len(c)}
        self.stored = {
            a.code: a
            for chunk in _chunks(sorted(prefixes))
            for a in Area.objects.filter(code__in=chunk)
        }
        self.areas = dict(self.stored)
        self.taken = Area.codes_taken(
            c for c in codes if c not in self.stored and c.isdigit() and len(c) in KIND_BY_LENGTH
        )
        self.seen = set()
        self.created = False

    def get_instance(self, instance_loader, row):
        return self.remember(self.stored.get(_text(row.get("编码"))))

    def import_instance(self, instance, row, **kwargs):
        code = _text(row.get("编码"))
        errors: dict[str, list] = {}
        if not code.isdigit() or len(code) not in KIND_BY_LENGTH:
            errors["code"] = [_("A code has 6, 9, 12, 14, 16, 19 or 21 digits (district to unit).")]
        elif code in self.seen:
            # A stored node twice would take the later row's values unsaid, a new one would be
            # two nodes of one code: the later row is the problem.
            errors["code"] = [_("This area is on an earlier row of the file.")]
        elif instance.pk is None:
            parent = next(
                (
                    self.areas[code[:n]]
                    for n in sorted(CODE_LENGTH.values(), reverse=True)
                    if n < len(code) and code[:n] in self.areas
                ),
                None,
            )
            if parent is None:
                errors["code"] = [_("No area above code %(code)s is known.") % {"code": code}]
            # A parent new in the file was checked on its own row (under a node of the user's).
            elif parent.pk is not None and not can_change_under(self.user, parent):
                errors["code"] = [_("%(name)s is outside your area.") % {"name": parent.name}]
            else:
                instance.parent = parent
                instance.kind = KIND_BY_LENGTH[len(code)]
        elif not can_change_under(self.user, instance):
            errors["code"] = [_("%(name)s is outside your area.") % {"name": instance.name}]
        self.seen.add(code)
        for f in self.get_import_fields():
            try:
                self.import_field(f, instance, row, **kwargs)
            except ValueError as exc:
                errors.setdefault(f.attribute, []).append(str(exc))
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        # A code that places the row nowhere leaves kind and parent unset: its message says all.
        if "code" in errors:
            raise ValidationError(errors)
        try:
            if instance.pk is None:
                # The model's own checks, with the codes taken read for the file and the parent
                # from the file's lookups (the database's constraints back them).
                instance._taken_codes = self.taken
                instance.full_clean(
                    exclude=[*errors, "parent"], validate_unique=False, validate_constraints=False
                )
            else:
                # A stored node keeps its code, kind and parent: only the fields the file sets.
                instance.clean_fields(exclude=[*errors])
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)
        if instance.pk is None:
            # Later rows may hang under it, and neither take its code nor one above it.
            self.areas[instance.code] = instance
            self.taken.update(
                instance.code[:n] for n in CODE_LENGTH.values() if n <= len(instance.code)
            )

    def create_rows(self, instances):
        """New nodes under the tree's lock (held until the file's transaction ends), a code
        length at a time: each level's parents are stored, or written just before it."""
        Area.lock_tree()
        for length in sorted({len(i.code) for i in instances}):
            level = [i for i in instances if len(i.code) == length]
            create_logged(Area, level, insert=Area.bulk_insert_level)
        self.created = True

    def after_import(self, dataset, result, **kwargs):
        """The new nodes numbered into the tree, once for the file, when it added nodes: only
        the subtree they went under and the positions after it move
        (:meth:`~governance.models.TreeModel.number_inserted`; the whole district's 31,000
        areas were numbered again before, 3.5–4.4 s of a 200-row file)."""
        if self.created and not kwargs.get("dry_run"):
            Area.number_inserted()
            # The importer's areas kept on the user were numbered before the rebuild.
            forget_scope(self.user)


@dataclass(frozen=True)
class ImportSpec:
    """One kind of file: its resource (``Resource(user=...)``), the example row of its template,
    the template's name, the roles that import it and the columns the template keeps as text."""

    resource: type
    example: list
    template_name: object
    roles: frozenset
    text_columns: tuple[str, ...] = ()
    # The kinds of area the importer's role must be held on (departments: a whole street).
    area_kinds: tuple[str, ...] = ()


SPECS: dict[str, ImportSpec] = {}


def register_kind(kind: str, spec: ImportSpec) -> None:
    """Offer ``kind`` on the import page (apps register theirs in ``ready``; the kinds of a
    higher app, such as party members, are registered by that app)."""
    SPECS[kind] = spec


def _importer_areas(scope, spec: ImportSpec) -> list[Area]:
    return [a for a in scope.areas(spec.roles) if not spec.area_kinds or a.kind in spec.area_kinds]


def kinds_for(user) -> list[tuple[str, str]]:
    """The kinds of file ``user`` may import, as (value, label) choices."""
    scope = scope_of(user)
    return [
        (value, label)
        for value, label in ImportKind.choices
        if value in SPECS and (scope.is_superuser or _importer_areas(scope, SPECS[value]))
    ]


register_kind(
    ImportKind.AREAS,
    ImportSpec(
        AreaResource,
        ["110105099001", "青松里社区", 3200, 8600, ""],
        gettext_lazy("areas-template"),
        frozenset({Role.STREET_ADMIN}),
        ("编码",),
    ),
)
register_kind(
    ImportKind.ROOMS,
    ImportSpec(
        RoomResource,
        ["1101050990100101001", "302", 3, 88.5, "自住", ""],
        gettext_lazy("rooms-template"),
        KEEPER_ROLES,
        ("楼栋编码", "房号"),
    ),
)
register_kind(
    ImportKind.RESIDENTS,
    ImportSpec(
        ResidentResource,
        [
            "1101050990100101001",
            "302",
            "王秀兰",
            "居民身份证",
            "11010519491231002X",
            "13912345678",
            "女",
            "1949-12-31",
            "汉族",
            "群众",
            "常住",
            "户主",
            "",
            "2001-05-01",
            "独居老人、高龄老人",
        ],
        gettext_lazy("residents-template"),
        KEEPER_ROLES,
        ("楼栋编码", "房号", "证件号码", "联系电话"),
    ),
)


def template_headers(kind: str) -> list[str]:
    resource = SPECS[kind].resource(user=None)
    return [f.column_name for f in resource.get_import_fields()]


def _read_xlsx(content: bytes) -> tablib.Dataset:
    """The first sheet as tablib reads it (the first row the headers, short rows padded with
    ""), but read with openpyxl in read-only mode as bare values: no cell object per cell."""
    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        rows = workbook.active.iter_rows(values_only=True)
        dataset = tablib.Dataset()
        headers = next(rows, None)
        if headers is None:
            return dataset
        dataset.headers = list(headers)
        width = len(headers)
        for row in rows:
            dataset.append(row if len(row) >= width else (*row, *[""] * (width - len(row))))
        return dataset
    finally:
        workbook.close()


def read_upload(upload) -> tablib.Dataset:
    """The uploaded .xlsx or .csv as a dataset (a CSV in UTF-8 or, as Excel saves it in China,
    GB18030). A bad file is a ValidationError on ``file``."""
    if upload.size > MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 20 MB.")})
    name = upload.name.lower()
    content = upload.read()
    try:
        if name.endswith(".xlsx"):
            dataset = _read_xlsx(content)
        elif name.endswith(".csv"):
            try:
                text = content.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = content.decode("gb18030")
            dataset = tablib.Dataset().load(text, format="csv")
        else:
            raise ValidationError({"file": _("Upload an .xlsx or a .csv file.")})
    except ValidationError:
        raise
    except Exception as exc:
        raise ValidationError({"file": _("The file cannot be read: %(e)s") % {"e": exc}}) from exc
    if dataset.headers:
        dataset.headers = [_text(h) for h in dataset.headers]
    if dataset.height > MAX_ROWS:
        raise ValidationError({"file": _("At most %(n)d rows per file.") % {"n": MAX_ROWS}})
    return dataset


@dataclass
class RowProblem:
    row: int
    column: str
    message: str


@dataclass
class Preview:
    kind: str
    total: int
    new: int = 0
    updated: int = 0
    skipped: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems


def _check_headers(kind: str, dataset) -> list[RowProblem]:
    missing = [h for h in template_headers(kind) if h not in (dataset.headers or [])]
    return [RowProblem(1, h, _("This column is missing.")) for h in missing]


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def _run(kind: str, dataset, *, user, dry_run: bool, progress=None):
    resource = SPECS[kind].resource(user=user)
    resource.progress = progress
    # Applying: one transaction for the whole file (the caller's) instead of a savepoint
    # around every row, half the queries. A preview (dry run) keeps the savepoints:
    # django-import-export always uses transactions for a dry run.
    with transaction.atomic():
        result = resource.import_data(
            dataset, dry_run=dry_run, raise_errors=False, use_transactions=False
        )
        if dry_run:
            transaction.set_rollback(True)
    if not dry_run:
        # The planner has no statistics of a bulk load (a 192 ms plan instead of 1.4 ms).
        analyze_after_bulk_write(*getattr(resource, "analyzed_models", (resource._meta.model,)))
    columns = {}
    for name, f in resource.fields.items():
        columns[name] = f.column_name
        if f.attribute:
            columns[f.attribute] = f.column_name
    problems = []
    # Spreadsheet rows: the header is row 1, the first data row is row 2.
    for invalid in result.invalid_rows:
        for name, messages in invalid.error_dict.items():
            for message in messages:
                problems.append(RowProblem(invalid.number + 1, columns.get(name, ""), message))
    for error in result.base_errors:
        problems.append(RowProblem(1, "", _message(error.error)))
    for number, errors in result.row_errors():
        for error in errors:
            problems.append(RowProblem(number + 1, "", str(error.error)))
    problems.sort(key=lambda p: (p.row, p.column))
    totals = result.totals
    return result, Preview(
        kind=kind,
        total=dataset.height,
        new=totals.get("new", 0),
        updated=totals.get("update", 0),
        skipped=totals.get("skip", 0),
        problems=problems,
    )


def import_preview(*, user, kind: str, dataset) -> Preview:
    """Every row's problems, and what applying would do; nothing is written."""
    require_importer(user, kind)
    problems = _check_headers(kind, dataset)
    if problems:
        return Preview(kind=kind, total=dataset.height, problems=problems)
    if not dataset.height:
        return Preview(kind=kind, total=0, problems=[RowProblem(2, "", _("The file has no rows."))])
    return _run(kind, dataset, user=user, dry_run=True)[1]


def apply_rows(*, user, kind: str, dataset, progress=None) -> Preview:
    """Apply every row of ``dataset`` when every row is valid, all rows or none (one
    transaction). Raises ValidationError (with ``.preview``, every row's problems) when a row is
    not: nothing is written then. ``progress(rows_done)`` is called every few hundred rows."""
    require_importer(user, kind)
    with transaction.atomic():
        preview = Preview(kind=kind, total=dataset.height, problems=_check_headers(kind, dataset))
        if preview.valid and dataset.height:
            _result, preview = _run(kind, dataset, user=user, dry_run=False, progress=progress)
        if not preview.valid or not dataset.height:
            transaction.set_rollback(True)
            error = ValidationError({"file": _("The file has problems: nothing was imported.")})
            error.preview = preview
            raise error
    return preview


def import_apply(*, user, kind: str, dataset, file_name: str) -> ImportRun:
    """Apply the file while the user waits (:func:`apply_rows`) and record the run (in the
    change log), in one transaction."""
    area = require_importer(user, kind)
    with transaction.atomic():
        preview = apply_rows(user=user, kind=kind, dataset=dataset)
        return ImportRun.objects.create(
            kind=kind,
            file_name=file_name[:200],
            user=user,
            area=area,
            total_rows=preview.total,
            new_rows=preview.new,
            updated_rows=preview.updated,
            skipped_rows=preview.skipped,
        )


def require_importer(user, kind: str = ImportKind.RESIDENTS) -> Area:
    """The top area where ``user`` holds a role that imports ``kind`` (the run's area)."""
    scope = scope_of(user)
    spec = SPECS.get(kind)
    if spec is None:
        raise ValidationError({"kind": _("Unknown kind of file.")})
    areas = _importer_areas(scope, spec)
    if areas:
        return min(areas, key=lambda a: a.level)
    if scope.is_superuser:
        roots = Area.objects.filter(parent__isnull=True)
        if spec.area_kinds:
            roots = Area.objects.filter(kind__in=spec.area_kinds)
        root = roots.order_by("tree_id", "level").first()
        if root is not None:
            return root
    raise PermissionDenied(_("You may not import this kind of file."))
