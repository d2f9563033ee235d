"""Admin of webhooks: endpoints (URL, secret, owner, events) and the read-only delivery log."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from governance import webhooks
from governance.admin import ScopedAdminMixin
from governance.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

# Endpoints belong to a street, or a district for a district-wide platform.
OWNER_KINDS = ("street", "district")


def _https_urls(field, **kwargs):
    # A URL typed without its scheme is read as https (Django 6's default, chosen now).
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What this endpoint is told of."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ("name", "url", "owner", "events", "is_active")
        formfield_callback = _https_urls

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = webhooks.event_choices()


@admin.action(description=_("Send a test event (ping) to the selected endpoints"))
def send_ping(modeladmin, request, queryset):
    count = sum(1 for endpoint in queryset if webhooks.ping(endpoint=endpoint))
    modeladmin.message_user(
        request,
        ngettext("%(n)d test event queued.", "%(n)d test events queued.", count) % {"n": count},
        messages.SUCCESS,
    )


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("name", "url", "owner", "event_list", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    list_select_related = ("owner",)
    readonly_fields = ("secret", "created_at", "updated_at")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = (send_ping,)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":
            kwargs["queryset"] = db_field.remote_field.model.objects.filter(
                kind__in=OWNER_KINDS
            ).order_by("code")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("events"))
    def event_list(self, obj):
        labels = dict(webhooks.event_choices())
        return "、".join(str(labels.get(code, code)) for code in obj.events or [])

    def has_delete_permission(self, request, obj=None):
        # The delivery log stays: an endpoint that received events is deactivated instead.
        if obj is not None and obj.deliveries.exists():
            return False
        return super().has_delete_permission(request, obj)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ("number", "started_at", "duration_ms", "status_code", "error", "response")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The delivery log: read-only for everyone."""

    list_display = (
        "created_at",
        "endpoint",
        "event",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", "event")
    search_fields = ("endpoint__name", "key", "uid")
    list_select_related = ("endpoint",)
    date_hierarchy = "created_at"
    inlines = (WebhookAttemptInline,)
    readonly_fields = (
        "endpoint",
        "event",
        "key",
        "uid",
        "payload",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
        "claimed_at",
        "sent_at",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
