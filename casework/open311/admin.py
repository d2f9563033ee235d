"""Admin of the public intake: jurisdictions, Open311 services and their questions, API keys
(made through the service, shown once, revoked by an action), and the public reports received."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from casework.admin import ReadOnlyAdminMixin
from casework.models import Category
from casework.open311 import services
from casework.open311.models import (
    JURISDICTION_KINDS,
    LIST_DATATYPES,
    ApiKey,
    Intake,
    Jurisdiction,
    ServiceAttribute,
    ServiceAttributeValue,
    ServiceDefinition,
)
from governance.admin import ScopedAdminMixin


@admin.register(Jurisdiction)
class JurisdictionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("jurisdiction_id", "area", "is_active")
    list_filter = ("is_active",)
    search_fields = ("jurisdiction_id", "area__name")
    list_select_related = ("area",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "area":
            kwargs["queryset"] = db_field.remote_field.model.objects.filter(
                kind__in=JURISDICTION_KINDS
            ).order_by("code")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # A one-to-one to the area: the same choices as a foreign key.
        if db_field.name == "area":
            return self.formfield_for_foreignkey(db_field, request, **kwargs)
        return super().formfield_for_dbfield(db_field, request, **kwargs)


# -- services and their questions -----------------------------------------------------------
class ServiceAttributeInline(admin.TabularInline):
    model = ServiceAttribute
    extra = 0
    fields = ("order", "code", "description", "datatype", "variable", "required")
    show_change_link = True
    ordering = ("order",)


@admin.register(ServiceDefinition)
class ServiceDefinitionAdmin(admin.ModelAdmin):
    list_display = ("category", "group", "is_public", "type", "keywords", "question_count")
    list_filter = ("type", "category__is_public")
    search_fields = ("category__name", "category__code", "keywords")
    list_select_related = ("category__parent",)
    inlines = (ServiceAttributeInline,)

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(question_total=Count("attributes"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "category":
            kwargs["queryset"] = Category.objects.filter(is_active=True).order_by(
                *Category.tree_order()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "category":
            return self.formfield_for_foreignkey(db_field, request, **kwargs)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("main category"))
    def group(self, obj):
        return obj.category.parent.name if obj.category.parent_id else "—"

    @admin.display(description=_("open to public reports"), boolean=True)
    def is_public(self, obj):
        return obj.category.is_public

    @admin.display(description=_("questions"), ordering="question_total")
    def question_count(self, obj):
        return obj.question_total


class ValueFormSet(forms.BaseInlineFormSet):
    """A list question needs options; the others take none."""

    def clean(self):
        super().clean()
        kept = [
            f
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("key")
        ]
        if self.instance.datatype in LIST_DATATYPES and not kept:
            raise ValidationError(_("Give the options to choose from."))
        if self.instance.datatype not in LIST_DATATYPES and kept:
            raise ValidationError(_("Only a list question has options."))


class ServiceAttributeValueInline(admin.TabularInline):
    model = ServiceAttributeValue
    formset = ValueFormSet
    extra = 0
    fields = ("order", "key", "name")


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin):
    list_display = ("service", "order", "code", "description", "datatype", "required")
    list_filter = ("datatype", "required", "variable")
    search_fields = ("code", "description", "service__category__name")
    list_select_related = ("service__category",)
    inlines = (ServiceAttributeValueInline,)


# -- API keys -------------------------------------------------------------------------------
class ApiKeyAddForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ("name", "owner", "jurisdiction", "rate_limit")

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                services.api_key_check(
                    name=data.get("name"),
                    owner=data.get("owner"),
                    jurisdiction=data.get("jurisdiction"),
                    rate_limit=data.get("rate_limit"),
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    self.add_error(field if field in self.fields else None, errors)
        return data


@admin.action(description=_("Revoke the selected API keys"), permissions=["change"])
def revoke_keys(modeladmin, request, queryset):
    count = sum(1 for key in queryset if services.api_key_revoke(key=key))
    modeladmin.message_user(
        request,
        ngettext("%(n)d API key revoked.", "%(n)d API keys revoked.", count) % {"n": count},
        messages.SUCCESS,
    )


@admin.register(ApiKey)
class ApiKeyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Keys are made by the service (hash stored, the key shown once, an intake account made)
    and revoked by the action; only the name and the hourly limit change afterwards."""

    list_display = (
        "name",
        "prefix",
        "owner",
        "jurisdiction",
        "rate_limit",
        "last_used_at",
        "live",
    )
    list_filter = ("jurisdiction",)
    search_fields = ("name", "prefix")
    list_select_related = ("owner", "jurisdiction")
    actions = (revoke_keys,)
    readonly_fields = (
        "prefix",
        "owner",
        "jurisdiction",
        "account",
        "last_used_at",
        "revoked_at",
        "created_by",
        "created_at",
    )

    @admin.display(description=_("live"), boolean=True)
    def live(self, obj):
        return not obj.is_revoked

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "owner", "jurisdiction", "rate_limit")
        return ("name", "rate_limit", *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":
            kwargs["queryset"] = db_field.remote_field.model.objects.filter(kind="street").order_by(
                "code"
            )
        if db_field.name == "jurisdiction":
            kwargs["queryset"] = Jurisdiction.objects.filter(is_active=True).select_related("area")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            services.api_key_update(key=obj, name=obj.name, rate_limit=obj.rate_limit)
            return
        key, raw = services.api_key_create(
            name=obj.name,
            owner=obj.owner,
            jurisdiction=obj.jurisdiction,
            rate_limit=obj.rate_limit,
            created_by=request.user,
        )
        obj.pk = key.pk
        obj._state.adding = False
        self.message_user(
            request,
            format_html(
                _(
                    "The API key of {name} is <code>{key}</code>. Copy it now: it is not shown again."
                ),
                name=key.name,
                key=raw,
            ),
            messages.WARNING,
        )

    def has_delete_permission(self, request, obj=None):
        # A key that filed requests stays on record (revoke it instead).
        if obj is not None and obj.intakes.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Intake)
class IntakeAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Public reports as received: read-only (the case is handled on the case page)."""

    list_display = ("token", "case", "channel", "api_key", "placed", "phone_verified", "created_at")
    list_filter = ("channel", "placed", "phone_verified")
    search_fields = ("token", "case__number", "account_id")
    list_select_related = ("case", "api_key")
    date_hierarchy = "created_at"
    readonly_fields = (
        "case",
        "channel",
        "token",
        "api_key",
        "email",
        "device_id",
        "account_id",
        "media_url",
        "attributes",
        "phone_verified",
        "placed",
        "created_at",
    )
