from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.models.base import AppendOnlyModel


class PersonalDataAccess(AppendOnlyModel):
    """One read of one personal value in full (PIPL): who, whose record, which field, when,
    through which interface and why. Written by :mod:`governance.privacy`, never changed."""

    class FieldKind(models.TextChoices):
        PHONE = "phone", _("Phone number")
        ID_NUMBER = "id_number", _("ID number")
        ADDRESS = "address", _("Address")
        NAME = "name", _("Name")

    class Interface(models.TextChoices):
        WEB = "web", _("Web pages")
        API = "api", _("REST API")
        ADMIN = "admin", _("Admin")
        EXPORT = "export", _("Export")

    time = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    user_name = models.CharField(_("user name"), max_length=150)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("record type"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(_("record id"), max_length=64)
    object_repr = models.CharField(_("whose record"), max_length=200)
    field = models.CharField(_("field"), max_length=50)
    field_kind = models.CharField(_("kind of data"), max_length=20, choices=FieldKind)
    interface = models.CharField(_("interface"), max_length=10, choices=Interface)
    reason = models.CharField(_("reason"), max_length=200)
    # The area the record belongs to, so that a street admin searches their own subtree only.
    # No database constraint: the log outlives the area.
    area = models.ForeignKey(
        settings.SCOPE_AREA_MODEL,
        verbose_name=_("area"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ("-time", "-pk")
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data access log")
        indexes = [
            models.Index(fields=("content_type", "object_id"), name="pda_subject"),
            models.Index(fields=("user", "time"), name="pda_user_time"),
        ]

    def __str__(self) -> str:
        return f"{self.user_name} · {self.object_repr} · {self.get_field_kind_display()}"
