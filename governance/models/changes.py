from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.models.base import AppendOnlyModel


class ObjectChange(AppendOnlyModel):
    """An append-only record of one change to one object (after NetBox's ObjectChange)."""

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")

    class Interface(models.TextChoices):
        WEB = "web", _("Web pages")
        API = "api", _("REST API")
        ADMIN = "admin", _("Admin")
        SYSTEM = "system", _("System")

    time = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    user_name = models.CharField(_("user name"), max_length=150, blank=True, editable=False)
    request_id = models.UUIDField(
        _("request"), null=True, blank=True, editable=False, db_index=True
    )
    interface = models.CharField(_("interface"), max_length=10, choices=Interface)
    action = models.CharField(_("action"), max_length=10, choices=Action)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    # The area the object belonged to (its own node for an area), so that an admin reads the
    # changes of their own subtree only. No database constraint: the area may be deleted later.
    area = models.ForeignKey(
        settings.SCOPE_AREA_MODEL,
        verbose_name=_("area"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    prechange_data = models.JSONField(_("before"), null=True, blank=True, editable=False)
    postchange_data = models.JSONField(_("after"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ("-time", "-pk")
        verbose_name = _("change log entry")
        verbose_name_plural = _("change log")
        indexes = [models.Index(fields=("content_type", "object_id"))]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"

    @property
    def diff(self) -> list[tuple[str, object, object]]:
        before = self.prechange_data or {}
        after = self.postchange_data or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]
