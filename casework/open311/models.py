"""Public intake: Open311 GeoReport v2 and the residents' page (随手拍).

* :class:`Jurisdiction` — a street or a district that Open311 clients address by
  ``jurisdiction_id``.
* :class:`ServiceDefinition` with its :class:`ServiceAttribute` questions and their
  :class:`ServiceAttributeValue` options — what GeoReport calls a service, for a public category.
* :class:`ApiKey` — a client allowed to POST requests, stored as a hash and shown once.
* :class:`Intake` — the outside report behind a case: the channel it came through, its token
  (the residents' tracking number) and the reporter's contact data, which no public response shows.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from governance.models import LimitedTextField, TimeStampedModel

CODE_VALIDATOR = RegexValidator(r"^[0-9A-Za-z_-]+$", _("Letters, digits, - and _ only."))
# Kinds of area a jurisdiction may be (the values of grids.models.AreaKind).
JURISDICTION_KINDS = ("street", "district")


class Jurisdiction(TimeStampedModel):
    """One Open311 jurisdiction: a street, or a district with its streets."""

    jurisdiction_id = models.CharField(
        _("jurisdiction ID"),
        max_length=100,
        unique=True,
        validators=[
            RegexValidator(
                r"^[a-z0-9][a-z0-9.-]*$", _("Lower-case letters, digits, dots and hyphens only.")
            )
        ],
        help_text=_("What clients send as jurisdiction_id, e.g. the street's web domain."),
    )
    area = models.OneToOneField(
        settings.SCOPE_AREA_MODEL,
        verbose_name=_("street or district"),
        on_delete=models.PROTECT,
        related_name="open311_jurisdiction",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("Open311 jurisdiction")
        verbose_name_plural = _("Open311 jurisdictions")
        ordering = ("jurisdiction_id",)

    def __str__(self) -> str:
        return self.jurisdiction_id

    def clean(self) -> None:
        super().clean()
        if self.area_id and self.area.kind not in JURISDICTION_KINDS:
            raise ValidationError({"area": _("A jurisdiction is a street or a district.")})


class ServiceType(models.TextChoices):
    REALTIME = "realtime", _("Realtime: the request ID is returned at once")
    BATCH = "batch", _("Batch: a token is returned, exchanged later for the request ID")
    BLACKBOX = "blackbox", _("Blackbox: no request ID is returned")


class ServiceDefinition(TimeStampedModel):
    """How a public category appears to Open311 clients: keywords, type, notice, questions."""

    category = models.OneToOneField(
        "casework.Category",
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        related_name="open311",
    )
    keywords = models.CharField(
        _("keywords"),
        max_length=200,
        blank=True,
        help_text=_("Comma-separated words that help people find this service."),
    )
    type = models.CharField(
        pgettext_lazy("open311 service", "type"),
        max_length=10,
        choices=ServiceType,
        default=ServiceType.REALTIME,
    )
    notice = LimitedTextField(
        _("service notice"),
        blank=True,
        help_text=_("What the street will do about such a report, returned with every request."),
    )

    class Meta:
        verbose_name = _("Open311 service")
        verbose_name_plural = _("Open311 services")
        ordering = ("category__code",)
        constraints = [
            models.CheckConstraint(
                name="open311_service_type_valid", condition=Q(type__in=ServiceType.values)
            )
        ]

    def __str__(self) -> str:
        return f"{self.category.code} {self.category.name}"

    def clean(self) -> None:
        super().clean()
        if self.category_id and not self.category.is_leaf:
            raise ValidationError({"category": _("Only a sub-category can be a service.")})


class Datatype(models.TextChoices):
    STRING = "string", _("Text on one line")
    NUMBER = "number", pgettext_lazy("answer type", "Number")
    DATETIME = "datetime", _("Date and time")
    TEXT = "text", _("Text on several lines")
    SINGLEVALUELIST = "singlevaluelist", _("One choice from a list")
    MULTIVALUELIST = "multivaluelist", _("Several choices from a list")


LIST_DATATYPES = frozenset({Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST})


class ServiceAttribute(TimeStampedModel):
    """An extra question of a service (GeoReport's attribute), answered as ``attribute[code]``."""

    service = models.ForeignKey(
        ServiceDefinition,
        verbose_name=_("service"),
        on_delete=models.CASCADE,
        related_name="attributes",
    )
    code = models.CharField(_("code"), max_length=50, validators=[CODE_VALIDATOR])
    order = models.PositiveSmallIntegerField(_("order"), validators=[MinValueValidator(1)])
    description = models.CharField(
        _("question"), max_length=300, help_text=_("What the reporter is asked.")
    )
    datatype = models.CharField(_("answer type"), max_length=20, choices=Datatype)
    datatype_description = models.CharField(
        _("answer hint"), max_length=200, blank=True, help_text=_("e.g. the unit of a number.")
    )
    variable = models.BooleanField(
        _("asks for an answer"),
        default=True,
        help_text=_("Off: the question is only information shown to the reporter."),
    )
    required = models.BooleanField(_("required"), default=False)

    class Meta:
        verbose_name = _("Open311 attribute")
        verbose_name_plural = _("Open311 attributes")
        ordering = ("service", "order")
        constraints = [
            models.UniqueConstraint(fields=("service", "code"), name="open311_attribute_code"),
            models.UniqueConstraint(fields=("service", "order"), name="open311_attribute_order"),
            models.CheckConstraint(
                name="open311_attribute_datatype_valid",
                condition=Q(datatype__in=Datatype.values),
            ),
            models.CheckConstraint(
                name="open311_attribute_required_asks",
                condition=Q(variable=True) | Q(required=False),
                violation_error_message=_(
                    "Only a question that asks for an answer can be required."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.description}"

    @property
    def has_values(self) -> bool:
        return self.datatype in LIST_DATATYPES


class ServiceAttributeValue(models.Model):
    """One option of a list question."""

    attribute = models.ForeignKey(
        ServiceAttribute,
        verbose_name=_("attribute"),
        on_delete=models.CASCADE,
        related_name="values",
    )
    key = models.CharField(
        pgettext_lazy("list option", "key"), max_length=50, validators=[CODE_VALIDATOR]
    )
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=1)

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ("attribute", "order", "pk")
        constraints = [
            models.UniqueConstraint(fields=("attribute", "key"), name="open311_value_key"),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.name}"


class ApiKey(TimeStampedModel):
    """An Open311 client allowed to POST requests. Only a hash of the key is kept; the key is
    shown once, when it is made. Requests it posts are filed by its own intake account."""

    name = models.CharField(_("name"), max_length=100, help_text=_("The client, e.g. 12345 平台."))
    prefix = models.CharField(_("key prefix"), max_length=12, unique=True, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, editable=False)
    owner = models.ForeignKey(
        settings.SCOPE_AREA_MODEL,
        verbose_name=_("owner street"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("allowed jurisdiction"),
        on_delete=models.PROTECT,
        related_name="api_keys",
    )
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("intake account"),
        on_delete=models.PROTECT,
        related_name="open311_key",
        editable=False,
    )
    rate_limit = models.PositiveIntegerField(
        _("requests per hour"),
        default=120,
        validators=[MinValueValidator(1)],
        help_text=_("New requests (POST) this client may send per hour."),
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")
        ordering = ("name", "pk")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class Channel(models.TextChoices):
    OPEN311 = "open311", _("Open311 client")
    RESIDENTS_PAGE = "residents_page", _("Residents' page")


class Intake(models.Model):
    """The outside report behind a case. Contact data (e-mail, device, account, phone on the
    case) is for staff only: public responses never show it."""

    case = models.OneToOneField(
        "casework.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="intake"
    )
    channel = models.CharField(pgettext_lazy("intake", "channel"), max_length=20, choices=Channel)
    token = models.CharField(
        _("tracking number"),
        max_length=20,
        unique=True,
        help_text=_("The residents' tracking number, and the Open311 token."),
    )
    api_key = models.ForeignKey(
        ApiKey,
        verbose_name=_("API key"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="intakes",
    )
    email = models.EmailField(_("e-mail"), blank=True)
    device_id = models.CharField(_("device ID"), max_length=100, blank=True)
    account_id = models.CharField(_("account ID"), max_length=100, blank=True)
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    attributes = models.JSONField(_("answers"), default=dict, blank=True)
    phone_verified = models.BooleanField(_("phone verified"), default=False)
    placed = models.BooleanField(
        _("placed in a grid"),
        default=True,
        help_text=_("Off: the place could not be found below the street; the center took it."),
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("public report")
        verbose_name_plural = _("public reports")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.CheckConstraint(
                name="intake_channel_valid", condition=Q(channel__in=Channel.values)
            ),
            models.CheckConstraint(
                name="intake_open311_has_key",
                condition=~Q(channel=Channel.OPEN311) | Q(api_key__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.token
