from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from governance.models.base import TimeStampedModel
from governance.models.roles import AREA_ROLES, DEPARTMENT_ROLES, Role
from governance.pinyin import PinyinNamedModel, PinyinQuerySet


def owner_choices() -> dict:
    """The areas that may own a department: a street, or a district above streets."""
    Area = apps.get_model(settings.SCOPE_AREA_MODEL)
    return {"kind__in": [Area.DISTRICT_KIND, Area.STREET_KIND]}


class PortalUserManager(UserManager.from_queryset(PinyinQuerySet)):
    """Django's user manager whose bulk writes fill the pinyin keys."""


class User(PinyinNamedModel, AbstractUser):
    # Listed and searched by the name people know them by (their login when it is empty).
    pinyin_source = "full_name"
    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    # Who manages an account is read from its role assignments; an account without any (a
    # volunteer, a newcomer) belongs to the area where it was registered, and to superusers
    # alone while that is empty.
    home_area = models.ForeignKey(
        settings.SCOPE_AREA_MODEL,
        verbose_name=_("registered in"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "The street (or area) where the account was registered. An account without roles "
            "is managed by that street's administrators."
        ),
    )

    objects = PortalUserManager()

    class Meta:
        ordering = ("name_sort", "username")
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.get_full_name() or self.username

    @classmethod
    def pinyin_depends_on(cls) -> tuple[str, ...]:
        return ("full_name", "first_name", "last_name", "username")

    def pinyin_text(self) -> str:
        return str(self)

    @property
    def display_name(self) -> str:
        return str(self)


DUPLICATE_NAME = _("The same street or district (or the whole city) has a department of this name.")
DUPLICATE_CODE = _(
    "The same street or district (or the whole city) has a department with this code."
)
_DUPLICATE_FIELDS = {"duplicate_name": "name", "duplicate_code": "code"}


class Department(PinyinNamedModel, TimeStampedModel):
    """A functional department (or a property company) that handles dispatched cases."""

    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("Government department")
        PUBLIC_SERVICE = "public_service", _("Public service company")
        PROPERTY = "property", _("Property management company")

    # Unique within the owner (two streets may both have a 城管执法队): see Meta.constraints.
    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=40)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.GOVERNMENT)
    phone = models.CharField(_("duty phone"), max_length=30, blank=True)
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("head"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="headed_departments",
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The street (or district) whose administrators manage the department and whose cases it
    # takes; empty: a city-wide department that serves every street and only superusers manage.
    owner = models.ForeignKey(
        settings.SCOPE_AREA_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="departments",
        limit_choices_to=owner_choices,
        help_text=_(
            "The street or district the department serves; empty: every street (managed by "
            "superusers only)."
        ),
    )

    objects = PinyinQuerySet.as_manager()

    class Meta:
        ordering = ("name_sort", "name")
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        # A name and a code are unique per owner; the city-wide departments (no owner, and SQL
        # NULLs never collide) get constraints of their own.
        constraints = [
            models.UniqueConstraint(
                fields=("owner", "name"),
                name="department_name_per_owner",
                violation_error_code="duplicate_name",
                violation_error_message=DUPLICATE_NAME,
            ),
            models.UniqueConstraint(
                fields=("owner", "code"),
                name="department_code_per_owner",
                violation_error_code="duplicate_code",
                violation_error_message=DUPLICATE_CODE,
            ),
            models.UniqueConstraint(
                fields=("name",),
                condition=Q(owner__isnull=True),
                name="department_name_city_wide",
                violation_error_code="duplicate_name",
                violation_error_message=DUPLICATE_NAME,
            ),
            models.UniqueConstraint(
                fields=("code",),
                condition=Q(owner__isnull=True),
                name="department_code_city_wide",
                violation_error_code="duplicate_code",
                violation_error_message=DUPLICATE_CODE,
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def validate_constraints(self, exclude=None) -> None:
        """A duplicate name or code is reported on its field (forms and the admin show it
        there), not as an error of the whole record."""
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict({})
            for error in list(errors.get(NON_FIELD_ERRORS, [])):
                field = _DUPLICATE_FIELDS.get(error.code)
                if field is not None:
                    errors[NON_FIELD_ERRORS].remove(error)
                    errors.setdefault(field, []).append(error)
            if not errors.get(NON_FIELD_ERRORS):
                errors.pop(NON_FIELD_ERRORS, None)
            raise ValidationError(errors) from None


class RoleAssignment(TimeStampedModel):
    """A user holds a role within a scope: an area subtree, or one department."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    role = models.CharField(_("role"), max_length=30, choices=Role)
    area = models.ForeignKey(
        settings.SCOPE_AREA_MODEL,
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
    )

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            # Sorted: the role sets iterate in hash order, which made makemigrations see a change.
            models.CheckConstraint(
                name="role_scope_matches_role",
                condition=(
                    Q(
                        role__in=sorted(r.value for r in DEPARTMENT_ROLES),
                        department__isnull=False,
                        area__isnull=True,
                    )
                    | Q(
                        role__in=sorted(r.value for r in AREA_ROLES),
                        area__isnull=False,
                        department__isnull=True,
                    )
                ),
                violation_error_message=_(
                    "A department handler is scoped to a department; every other role to an area."
                ),
            ),
            models.UniqueConstraint(
                fields=("user", "role", "area"),
                name="unique_role_per_area",
                condition=Q(area__isnull=False),
            ),
            models.UniqueConstraint(
                fields=("user", "role", "department"),
                name="unique_role_per_department",
                condition=Q(department__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} · {self.scope}"

    @property
    def scope(self):
        return self.area if self.area_id else self.department

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        super().clean()
        if self.role in DEPARTMENT_ROLES:
            if not self.department_id:
                raise ValidationError({"department": _("Choose the department of this handler.")})
            if self.area_id:
                raise ValidationError({"area": _("A department handler has no area scope.")})
        elif self.role:
            if not self.area_id:
                raise ValidationError({"area": _("Choose the area this role covers.")})
            if self.department_id:
                raise ValidationError(
                    {"department": _("Only department handlers have a department.")}
                )
            district = apps.get_model(settings.SCOPE_AREA_MODEL).DISTRICT_KIND
            if self.role == Role.DISTRICT_ADMIN and self.area.kind != district:
                raise ValidationError(
                    {"area": _("A district administrator is scoped to a district.")}
                )
