from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, router, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Length, Substr
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

from governance.models import LimitedTextField, TimeStampedModel, TreeModel
from governance.pinyin import PinyinNamedModel, PinyinQuerySet

models.CharField.register_lookup(Length)


class AreaKind(models.TextChoices):
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")
    MICRO_GRID = "micro_grid", _("Micro-grid")
    BUILDING = "building", _("Building")
    UNIT = "unit", _("Unit (stairwell)")


# Depth order of the kinds, and the length of the national unit-grid code at each kind:
# district 6 + street 3 + community 3 + grid 2 + micro-grid 2 + building 3 + unit 2.
KIND_RANK = {kind: rank for rank, kind in enumerate(AreaKind.values)}
CODE_LENGTH = {
    AreaKind.DISTRICT: 6,
    AreaKind.STREET: 9,
    AreaKind.COMMUNITY: 12,
    AreaKind.GRID: 14,
    AreaKind.MICRO_GRID: 16,
    AreaKind.BUILDING: 19,
    AreaKind.UNIT: 21,
}


# Sent when an area's place in the tree changed (a move under another parent, a change of kind),
# inside the write's transaction and under the tree lock, with ``area`` holding its new tree
# fields: records that keep an ancestor of their area beside it (a case's community and grid,
# casework.services.cases_follow_area) are brought in line here, so that they never disagree
# with the tree the scopes read.
area_moved = Signal()


class Area(PinyinNamedModel, TreeModel, TimeStampedModel):
    """A node of the street's territory: street, community, grid, micro-grid, building, unit.

    The core knows this model only as ``settings.SCOPE_AREA_MODEL``: a tree model (the tree
    base's API) with a ``kind``, whose ``STREET_KIND`` carries the working hours and whose
    ``DISTRICT_KIND`` (optional, above streets) is the scope of a district administrator.
    """

    STREET_KIND = AreaKind.STREET
    DISTRICT_KIND = AreaKind.DISTRICT
    COMMUNITY_KIND = AreaKind.COMMUNITY
    GRID_KIND = AreaKind.GRID

    kind = models.CharField(_("kind"), max_length=20, choices=AreaKind)
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(
        _("code"),
        max_length=21,
        unique=True,
        validators=[RegexValidator(r"^\d+$", _("The code is made of digits only."))],
        help_text=_("National unit-grid code: it extends the parent's code."),
    )
    boundary = models.JSONField(
        _("boundary"), null=True, blank=True, help_text=_("GeoJSON Polygon or MultiPolygon.")
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    households = models.PositiveIntegerField(_("households"), default=0)
    population = models.PositiveIntegerField(_("population"), default=0)
    notes = LimitedTextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        constraints = [
            models.CheckConstraint(name="area_kind_valid", condition=Q(kind__in=AreaKind.values)),
            models.CheckConstraint(
                name="area_code_length_matches_kind",
                condition=Q(
                    *[Q(kind=kind, code__length=length) for kind, length in CODE_LENGTH.items()],
                    _connector=Q.OR,
                ),
                violation_error_message=_("The code length does not match the kind."),
            ),
            models.CheckConstraint(
                name="area_latitude_range",
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
            ),
            models.CheckConstraint(
                name="area_longitude_range",
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
            ),
        ]
        indexes = [models.Index(fields=("kind",)), models.Index(fields=("name",))]

    class MPTTMeta:
        # Siblings in the order of their codes (the national unit-grid coding): tree order is
        # code order, whatever the names (和平东里6号楼 before 和平东里10号楼).
        order_insertion_by = ("code",)

    def __str__(self) -> str:
        return self.name

    @property
    def rank(self) -> int:
        return KIND_RANK[self.kind]

    @property
    def code_length(self) -> int:
        return CODE_LENGTH[self.kind]

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list] = {}
        parent = self.parent if self.parent_id else None
        if self.kind not in KIND_RANK:
            return
        if parent is not None and KIND_RANK[self.kind] <= KIND_RANK[parent.kind]:
            errors.setdefault("kind", []).append(
                _("A %(kind)s cannot be placed under a %(parent_kind)s: its kind must be deeper.")
                % {"kind": self.get_kind_display(), "parent_kind": parent.get_kind_display()}
            )
        if self.code:
            if len(self.code) != self.code_length:
                errors.setdefault("code", []).append(
                    _("A %(kind)s code has %(n)d digits.")
                    % {"kind": self.get_kind_display(), "n": self.code_length}
                )
            elif parent is not None and not self.code.startswith(parent.code):
                errors.setdefault("code", []).append(
                    _("The code must start with the parent's code %(code)s.")
                    % {"code": parent.code}
                )
        if (self.latitude is None) != (self.longitude is None):
            errors.setdefault("latitude", []).append(
                _("Give both latitude and longitude, or neither.")
            )
        if self.boundary is not None:
            problem = geojson_polygon_problem(self.boundary)
            if problem:
                errors.setdefault("boundary", []).append(problem)
        if "code" not in errors and self.code and self._code_taken():
            errors.setdefault("code", []).append(
                _("The code %(code)s is already used.") % {"code": self.code}
            )
        if errors:
            raise ValidationError(errors)

    def _code_taken(self) -> bool:
        """True when another area has this code or a code below it (codes are a hierarchy:
        a new or renumbered node must not adopt somebody else's children)."""
        known = self.__dict__.get("_taken_codes")
        if self.pk is None and known is not None:
            return self.code in known  # a bulk writer read its new codes at once (codes_taken)
        if self.pk is not None and self._stored_code() == self.code:
            return False
        return Area.objects.filter(code__startswith=self.code).exclude(pk=self.pk).exists()

    @classmethod
    def codes_taken(cls, codes: Iterable[str]) -> set[str]:
        """The codes among ``codes`` that an area has, or a code below it: what
        :meth:`_code_taken` says of a new node, for many at once (one query per code length
        and 5,000 codes). A bulk writer hands the answer to each new node as ``_taken_codes``
        (with the codes its earlier nodes took) before validating it."""
        by_length: dict[int, set[str]] = {}
        for code in codes:
            by_length.setdefault(len(code), set()).add(code)
        taken: set[str] = set()
        for length, group in sorted(by_length.items()):
            group = sorted(group)
            for start in range(0, len(group), 5000):
                taken.update(
                    cls.objects.order_by()
                    .filter(code__length__gte=length)
                    .annotate(prefix=Substr("code", 1, length))
                    .filter(prefix__in=group[start : start + 5000])
                    .values_list("prefix", flat=True)
                )
        return taken

    def _stored_code(self) -> str | None:
        if self.pk is None:
            return None
        return Area.objects.filter(pk=self.pk).values_list("code", flat=True).first()

    def save(self, *args, **kwargs):
        """Validate, then write under the tree lock (the tree base's ``save``: one transaction,
        one lock); a changed code is carried down the subtree (:meth:`save_locked`).

        Validation is part of every write path (forms, API, admin, services, shell): an invalid
        node never reaches the database.
        """
        self.full_clean(validate_unique=False, validate_constraints=False)
        return super().save(*args, **kwargs)

    def save_locked(self, *args, **kwargs):
        """When the code changes (a renumbering or a move), every descendant's code takes the
        new prefix in one UPDATE, in the same transaction and under the same lock as the node;
        when the parent or the kind changed, :data:`area_moved` is sent, and the tree changes
        only once the ancestry lock is held exclusive (the filings in flight, which keep the
        community and grid above their area, have committed; see ``TreeModel.lock_ancestry``)."""
        stored = (
            Area.objects.filter(pk=self.pk).values("code", "parent_id", "kind").first()
            if self.pk is not None
            else None
        )
        moved = stored is not None and (stored["parent_id"], stored["kind"]) != (
            self.parent_id,
            self.kind,
        )
        if moved:
            Area.lock_ancestry(shared=False)
        result = super().save_locked(*args, **kwargs)
        if stored is None:
            return result
        old_code = stored["code"]
        if old_code != self.code or moved:
            self._refresh_tree_fields()
        if old_code != self.code:
            Area.objects.within(self, include_self=False).update(
                code=Concat(Value(self.code), Substr(F("code"), len(old_code) + 1))
            )
        if moved:
            area_moved.send(sender=Area, area=self)
        return result

    def move_to(self, target, position="last-child"):
        """The one move of an area (the service ``area_move`` calls it after its permission
        check): mptt's move kept code-consistent. The node takes a free code under its new
        parent and ``save`` validates it and renumbers the subtree, under the tree lock
        (siblings are ordered by name, so only the new parent matters)."""
        parent = target if position in ("first-child", "last-child") else target.parent
        if parent is None:
            raise ValidationError({"parent": _("An area cannot be moved to the top level.")})
        with transaction.atomic(using=router.db_for_write(Area)):
            Area.lock_tree()
            self._refresh_tree_fields()
            parent._refresh_tree_fields()
            self.check_parent(parent)
            if parent.pk == self.parent_id:
                return
            self.parent = parent
            self.code = parent.next_child_code(self.kind)
            self.save()

    def next_child_code(self, kind: str) -> str:
        """The smallest free code for a new child of ``kind`` under this node."""
        length = CODE_LENGTH[kind]
        width = length - len(self.code)
        if width <= 0:
            raise ValidationError({"kind": _("This kind cannot be placed here.")})
        # A candidate is taken when any area's code starts with it, not only when it is equal:
        # levels may be skipped, so a building under a grid can own a micro-grid-length prefix.
        taken = set(
            Area.objects.filter(code__startswith=self.code, code__length__gte=length)
            .annotate(prefix=Substr("code", 1, length))
            .values_list("prefix", flat=True)
            .distinct()
        )
        for n in range(1, 10**width):
            candidate = f"{self.code}{n:0{width}d}"
            if candidate not in taken:
                return candidate
        raise ValidationError({"code": _("No free code is left under this node.")})


def geojson_polygon_problem(value) -> str | None:
    """Why ``value`` is not a usable GeoJSON Polygon/MultiPolygon, or None when it is."""
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        return _("The boundary must be a GeoJSON Polygon or MultiPolygon.")
    polygons = value.get("coordinates")
    if value["type"] == "Polygon":
        polygons = [polygons]
    try:
        for polygon in polygons:
            for ring in polygon:
                if len(ring) < 4 or ring[0] != ring[-1]:
                    return _("Each boundary ring needs at least four points and must be closed.")
                for lng, lat, *_rest in ring:
                    if not (-180 <= float(lng) <= 180 and -90 <= float(lat) <= 90):
                        return _("Boundary coordinates are [longitude, latitude] in degrees.")
    except (TypeError, ValueError):
        return _("The boundary coordinates are malformed.")
    return None


class StaffPosition(models.TextChoices):
    GRID_LEADER = "grid_leader", _("Grid leader")
    FULL_TIME_WORKER = "full_time_worker", _("Full-time grid worker")
    PART_TIME_WORKER = "part_time_worker", _("Part-time grid member")
    MICRO_GRID_LEADER = "micro_grid_leader", _("Micro-grid leader")
    BUILDING_LEADER = "building_leader", _("Building team leader")
    SECOND_BUILDING_LEADER = "second_building_leader", _("Second building leader")


class GridStaff(PinyinNamedModel, TimeStampedModel):
    """A person attached to an area: grid leader, grid worker, micro-grid or building leader."""

    Position = StaffPosition

    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.CASCADE, related_name="staff"
    )
    position = models.CharField(_("position"), max_length=30, choices=Position)
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(
        _("phone"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^[0-9+\-\s]{5,20}$", _("Enter a valid phone number."))],
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="grid_posts",
    )
    is_party_member = models.BooleanField(_("party member"), default=False)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    objects = PinyinQuerySet.as_manager()

    class Meta:
        ordering = ("area", "position", "name_sort", "name")
        verbose_name = _("grid staff member")
        verbose_name_plural = _("grid staff")
        constraints = [
            models.CheckConstraint(
                name="staff_position_valid",
                condition=Q(position__in=StaffPosition.values),
            ),
            models.CheckConstraint(
                name="staff_ended_after_started",
                condition=Q(ended_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(ended_on__gte=models.F("started_on")),
                violation_error_message=_("The end date cannot be before the start date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_position_display()}）"
