"""Houses and residents (人房关联): rooms of buildings, households, residents, care tags, visits.

A resident is never deleted: moving out and death are dated steps (``state_fields``), and the
history (visits, households) stays. ID numbers, phones and registered addresses are personal
data registered with :mod:`governance.privacy` (see :mod:`grids.resident_registry`).

When a resident is next due a home visit (走访) is one rule, :func:`visit_due_on`: the last visit
(or the day the resident first needed one) plus the shortest visit interval of their care tags.
Services store its result in ``Resident.next_visit_due`` whenever a visit, a tag or a tag's
interval changes, so that the due list is one indexed range query.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.models import LimitedTextField, TimeStampedModel
from governance.pinyin import PinyinNamedModel, PinyinQuerySetMixin
from grids.models.areas import Area, AreaKind

HOUSING_KINDS = (AreaKind.BUILDING, AreaKind.UNIT)
# A visit due within this many days is listed as "due soon" (the rest of the week).
DUE_SOON_DAYS = 3

# GB 11643-1999: weights of the first 17 digits, and the check character for the sum mod 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")


def id_check_digit(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def resident_id_problem(value: str) -> str | None:
    """Why ``value`` is not a valid 18-digit resident ID number, or None when it is."""
    if not _ID_RE.match(value):
        return _("A resident ID number has 17 digits and a digit or X at the end.")
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return _("The birth date inside the ID number does not exist.")
    if id_check_digit(value[:17]) != value[17]:
        return _("The check digit of the ID number is wrong.")
    return None


def birth_date_from_id(value: str) -> dt.date:
    return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def visit_due_on(*, last_visit: dt.date | None, since: dt.date | None, interval_days):
    """The day a resident is next due a home visit (None: no care tag asks for visits)."""
    if not interval_days:
        return None
    start = last_visit or since
    if start is None:
        return None
    return start + dt.timedelta(days=interval_days)


class RoomUse(models.TextChoices):
    SELF_OCCUPIED = "self_occupied", _("Self-occupied")
    RENTED = "rented", _("Rented")
    GROUP_RENTED = "group_rented", _("Group-rented")
    SHOP = "shop", _("Shop")
    VACANT = "vacant", _("Vacant")


class Room(TimeStampedModel):
    """A room (房屋) of a building or a unit: a flat, a shop."""

    area = models.ForeignKey(
        Area,
        verbose_name=_("building or unit"),
        on_delete=models.PROTECT,
        related_name="rooms",
        limit_choices_to={"kind__in": HOUSING_KINDS},
    )
    number = models.CharField(_("room number"), max_length=20)
    floor = models.SmallIntegerField(_("floor"), null=True, blank=True)
    floor_area = models.DecimalField(
        _("floor area (m²)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    use = models.CharField(_("use"), max_length=20, choices=RoomUse, default=RoomUse.SELF_OCCUPIED)
    owner = models.ForeignKey(
        "grids.Resident",
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_rooms",
    )
    tenant = models.ForeignKey(
        "grids.Resident",
        verbose_name=_("tenant"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rented_rooms",
    )
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ("area", "floor", "number")
        constraints = [
            models.UniqueConstraint(
                fields=("area", "number"),
                name="room_unique_number_in_building",
                violation_error_message=_("This building has a room with this number already."),
            ),
            models.CheckConstraint(name="room_use_valid", condition=Q(use__in=RoomUse.values)),
            models.CheckConstraint(
                name="room_floor_area_positive",
                condition=Q(floor_area__isnull=True) | Q(floor_area__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area.name} {self.number}" if self.area_id else self.number

    def clean(self) -> None:
        super().clean()
        if self.area_id and self.area.kind not in HOUSING_KINDS:
            raise ValidationError({"area": _("Rooms belong to a building or a unit.")})
        # The constraint's own check, without a query (an import validates thousands of rows).
        if self.floor_area is not None and self.floor_area <= 0:
            raise ValidationError({"floor_area": _("The floor area must be larger than 0.")})


class Household(TimeStampedModel):
    """A household (户): the people registered together, living in a room of a building."""

    area = models.ForeignKey(
        Area,
        verbose_name=_("building or unit"),
        on_delete=models.PROTECT,
        related_name="households_registered",
        limit_choices_to={"kind__in": HOUSING_KINDS},
    )
    number = models.CharField(_("household number"), max_length=30, unique=True)
    room = models.ForeignKey(
        Room,
        verbose_name=_("room"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="households",
    )
    householder = models.ForeignKey(
        "grids.Resident",
        verbose_name=_("householder"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ("area", "number")

    def __str__(self) -> str:
        return self.number


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident ID card")
    HK_MACAO = "hk_macao", _("Hong Kong/Macao resident permit")
    TAIWAN = "taiwan", _("Taiwan resident permit")
    FOREIGN_PERMANENT = "foreign_permanent", _("Foreigner's permanent residence ID")
    PASSPORT = "passport", _("Passport")


class Gender(models.TextChoices):
    MALE = "m", _("Male")
    FEMALE = "f", _("Female")


class PoliticalStatus(models.TextChoices):
    PARTY_MEMBER = "party_member", _("Communist Party member")
    PROBATIONARY = "probationary", _("Probationary party member")
    LEAGUE_MEMBER = "league_member", _("Communist Youth League member")
    OTHER_PARTY = "other_party", _("Member of a democratic party")
    MASSES = "masses", _("Ordinary citizen")


class ResidentType(models.TextChoices):
    REGISTERED = "registered", _("Registered (常住)")
    FLOATING = "floating", _("Floating (流动)")


class Relation(models.TextChoices):
    HOUSEHOLDER = "householder", _("Householder")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    SIBLING = "sibling", _("Brother or sister")
    OTHER = "other", _("Other relative")
    TENANT = "tenant", _("Tenant")


class ResidentQuerySet(PinyinQuerySetMixin, models.QuerySet):
    def living_here(self):
        """Residents who live in the street now (not moved out, not deceased)."""
        return self.filter(moved_out_on__isnull=True, deceased_on__isnull=True)


class Resident(PinyinNamedModel, TimeStampedModel):
    """A person living (or once living) in a building of the street."""

    # Moving out and death are steps of their own (services), never typed into a form.
    state_fields = ("moved_out_on", "deceased_on", "next_visit_due", "last_visit_on")

    area = models.ForeignKey(
        Area,
        verbose_name=_("building or unit"),
        on_delete=models.PROTECT,
        related_name="residents",
        limit_choices_to={"kind__in": HOUSING_KINDS},
    )
    room = models.ForeignKey(
        Room,
        verbose_name=_("room"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="residents",
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    relation = models.CharField(
        _("relation to the householder"), max_length=20, choices=Relation, blank=True
    )
    name = models.CharField(_("name"), max_length=50)
    id_type = models.CharField(
        _("document type"), max_length=20, choices=IdType, default=IdType.RESIDENT_ID
    )
    id_number = models.CharField(_("ID number"), max_length=30, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=20, blank=True, default="汉族")
    political_status = models.CharField(
        _("political status"),
        max_length=20,
        choices=PoliticalStatus,
        default=PoliticalStatus.MASSES,
    )
    resident_type = models.CharField(
        _("resident type"), max_length=20, choices=ResidentType, default=ResidentType.REGISTERED
    )
    registered_address = models.CharField(
        _("registered address"),
        max_length=200,
        blank=True,
        help_text=_("Where the household is registered, when it is not here (人户分离)."),
    )
    moved_in_on = models.DateField(_("moved in on"), null=True, blank=True)
    moved_out_on = models.DateField(_("moved out on"), null=True, blank=True, editable=False)
    deceased_on = models.DateField(_("deceased on"), null=True, blank=True, editable=False)
    last_visit_on = models.DateField(_("last visited on"), null=True, blank=True, editable=False)
    next_visit_due = models.DateField(
        _("next visit due"), null=True, blank=True, editable=False, db_index=True
    )
    notes = LimitedTextField(_("notes"), blank=True)

    objects = ResidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ("area", "name_sort", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=("id_type", "id_number"),
                condition=~Q(id_number=""),
                name="resident_unique_document",
                violation_error_message=_("A resident with this ID number is registered already."),
            ),
            models.CheckConstraint(
                name="resident_type_valid", condition=Q(resident_type__in=ResidentType.values)
            ),
            models.CheckConstraint(
                name="resident_moved_out_after_in",
                condition=Q(moved_out_on__isnull=True)
                | Q(moved_in_on__isnull=True)
                | Q(moved_out_on__gte=models.F("moved_in_on")),
                violation_error_message=_("The move-out date cannot be before the move-in date."),
            ),
        ]
        indexes = [
            # The lists of the people living here read their keys from these alone (an
            # index-only scan, the rows fetched for one page only): a building's residents in
            # name order (the register's order), and its residents due a visit (the grid
            # worker's list). Moved-out and deceased residents are not in them.
            models.Index(
                fields=("area", "name_sort", "id"),
                condition=Q(moved_out_on__isnull=True, deceased_on__isnull=True),
                name="resident_living_area_name",
            ),
            models.Index(
                fields=("area", "next_visit_due"),
                include=("name_sort", "id"),
                condition=Q(
                    moved_out_on__isnull=True,
                    deceased_on__isnull=True,
                    next_visit_due__isnull=False,
                ),
                name="resident_living_due",
            ),
            models.Index(fields=("name",), name="resident_name"),
            # A search's exact match on an ID number or a phone (the only one a masked field
            # allows) next to the name's trigram index (PostgreSQL, in the migration): every arm
            # of the search's OR uses an index, so 300,000 residents are not scanned.
            models.Index(fields=("id_number",), name="resident_id_number"),
            models.Index(fields=("phone",), name="resident_phone"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_living_here(self) -> bool:
        return self.moved_out_on is None and self.deceased_on is None

    @property
    def age(self) -> int | None:
        if self.birth_date is None:
            return None
        today = timezone.localdate()
        before_birthday = (today.month, today.day) < (self.birth_date.month, self.birth_date.day)
        return today.year - self.birth_date.year - before_birthday

    def visit_status(self, today: dt.date | None = None) -> str:
        """ "overdue", "due" (within :data:`DUE_SOON_DAYS`), "later" or "" (no visits asked)."""
        if self.next_visit_due is None or not self.is_living_here:
            return ""
        today = today or timezone.localdate()
        if self.next_visit_due < today:
            return "overdue"
        if self.next_visit_due <= today + dt.timedelta(days=DUE_SOON_DAYS):
            return "due"
        return "later"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list] = {}
        if self.id_number:
            self.id_number = self.id_number.strip().upper()
            if self.id_type == IdType.RESIDENT_ID:
                problem = resident_id_problem(self.id_number)
                if problem:
                    errors.setdefault("id_number", []).append(problem)
                elif self.birth_date and self.birth_date != birth_date_from_id(self.id_number):
                    errors.setdefault("birth_date", []).append(
                        _("The birth date does not match the ID number.")
                    )
            elif not re.match(r"^[A-Z0-9]{6,30}$", self.id_number):
                errors.setdefault("id_number", []).append(
                    _("A document number has 6 to 30 letters and digits.")
                )
        if self.phone and not re.match(r"^[0-9+\-\s]{5,20}$", self.phone):
            errors.setdefault("phone", []).append(_("Enter a valid phone number."))
        if self.area_id and self.area.kind not in HOUSING_KINDS:
            errors.setdefault("area", []).append(_("Residents live in a building or a unit."))
        if self.room_id and self.area_id and self.room.area_id != self.area_id:
            errors.setdefault("room", []).append(_("The room is not in this building."))
        if self.household_id and self.area_id and self.household.area_id != self.area_id:
            errors.setdefault("household", []).append(_("The household is not in this building."))
        if errors:
            raise ValidationError(errors)


class CareTag(TimeStampedModel):
    """A kind of resident the street looks after (重点人群/关爱对象), with its visit interval."""

    street = models.ForeignKey(
        Area,
        verbose_name=_("street"),
        on_delete=models.PROTECT,
        related_name="care_tags",
        limit_choices_to={"kind": AreaKind.STREET},
    )
    name = models.CharField(_("name"), max_length=30)
    visit_every_days = models.PositiveSmallIntegerField(
        _("visit every (days)"),
        null=True,
        blank=True,
        help_text=_("Empty: no regular visits."),
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("care tag")
        verbose_name_plural = _("care tags")
        ordering = ("street", "name")
        constraints = [
            models.UniqueConstraint(
                fields=("street", "name"),
                name="care_tag_unique_name",
                violation_error_message=_("The street has a care tag with this name already."),
            ),
            models.CheckConstraint(
                name="care_tag_interval_positive",
                condition=Q(visit_every_days__isnull=True) | Q(visit_every_days__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.street_id and self.street.kind != AreaKind.STREET:
            raise ValidationError({"street": _("Care tags belong to a street.")})


class ResidentCareTag(TimeStampedModel):
    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="care_tags"
    )
    tag = models.ForeignKey(
        CareTag,
        verbose_name=_("care tag"),
        on_delete=models.PROTECT,
        related_name="residents",
        db_index=False,  # care_tag_residents leads with it
    )
    since = models.DateField(_("since"), default=timezone.localdate)
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("resident's care tag")
        verbose_name_plural = _("residents' care tags")
        ordering = ("resident", "tag")
        constraints = [
            models.UniqueConstraint(
                fields=("resident", "tag"),
                name="resident_care_tag_once",
                violation_error_message=_("The resident has this care tag already."),
            ),
        ]
        # A list filtered by a tag counts and probes its residents from this index alone.
        indexes = [models.Index(fields=("tag", "resident"), name="care_tag_residents")]

    def __str__(self) -> str:
        return f"{self.resident} · {self.tag}"


class Visit(TimeStampedModel):
    """A home visit (走访) of one resident by a grid worker; a need found may become a case or a
    party-building demand (each linked both ways)."""

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="visits"
    )
    # The resident's building at the time of the visit (scope), kept if they move later.
    area = models.ForeignKey(
        Area, verbose_name=_("building"), on_delete=models.PROTECT, related_name="visits"
    )
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("visited by"),
        on_delete=models.PROTECT,
        related_name="visits",
    )
    visited_on = models.DateField(_("visited on"))
    in_home = models.BooleanField(_("met at home"), default=True)
    notes = LimitedTextField(_("notes"), blank=True)
    need = models.CharField(_("need found"), max_length=500, blank=True)
    case = models.OneToOneField(
        settings.FIELD_CASE_MODEL,
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visit",
        editable=False,
    )
    demand = models.OneToOneField(
        settings.FIELD_DEMAND_MODEL,
        verbose_name=_("party-building demand"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visit",
        editable=False,
    )

    class Meta:
        verbose_name = _("home visit")
        verbose_name_plural = _("home visits")
        ordering = ("-visited_on", "-pk")
        indexes = [
            models.Index(fields=("resident", "-visited_on"), name="visit_resident_recent"),
            models.Index(fields=("area", "-visited_on"), name="visit_area_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.resident} · {self.visited_on:%Y-%m-%d}"
