"""Admin of the monthly assessment: schemes with their items, the center's manual scores, and
the months — read-only results, recomputed only by the action that asks for a reason and logs
it. Street administrators see their street's only (the scope filter)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from casework.stats import assessment, wall
from casework.stats.models import (
    AssessmentItem,
    AssessmentMonth,
    AssessmentRecompute,
    AssessmentResult,
    AssessmentScheme,
    ManualScore,
)
from casework.stats.wall_models import WallToken
from governance.admin import ScopedAdminMixin


class _ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AssessmentItemInline(admin.TabularInline):
    model = AssessmentItem
    extra = 0
    fields = ("order", "name", "kind", "figure", "target", "weight", "full_marks")


@admin.register(AssessmentScheme)
class AssessmentSchemeAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "street", "is_active")
    list_filter = ("is_active",)
    list_select_related = ("street",)
    inlines = (AssessmentItemInline,)


@admin.register(ManualScore)
class ManualScoreAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("item", "month", "area", "department", "score", "entered_by")
    list_filter = ("month",)
    list_select_related = ("item", "area", "department", "entered_by")
    autocomplete_fields = ("area", "department")

    def save_model(self, request, obj, form, change):
        obj.entered_by = request.user
        super().save_model(request, obj, form, change)


class AssessmentResultInline(_ReadOnly, admin.TabularInline):
    model = AssessmentResult
    fields = ("subject_kind", "rank", "name", "total")
    readonly_fields = fields
    ordering = ("subject_kind", "rank")


class AssessmentRecomputeInline(_ReadOnly, admin.TabularInline):
    model = AssessmentRecompute
    fields = ("created_at", "actor", "reason")
    readonly_fields = fields


class RecomputeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the log of the month."),
    )


@admin.register(AssessmentMonth)
class AssessmentMonthAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("scheme", "month", "frozen_at")
    list_select_related = ("scheme",)
    readonly_fields = ("scheme", "month", "frozen_at")
    fields = readonly_fields
    inlines = (AssessmentResultInline, AssessmentRecomputeInline)
    actions = ["recompute"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # The list's recompute action needs the change permission; a month is read here.
        return obj is None and super().has_change_permission(request, obj)

    @admin.action(description=_("Compute again (give the reason)"))
    def recompute(self, request, queryset):
        form = RecomputeForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            done = 0
            for month in queryset:
                try:
                    assessment.assessment_recompute(
                        assessment=month, actor=request.user, reason=form.cleaned_data["reason"]
                    )
                except ValidationError as exc:
                    self.message_user(request, " ".join(exc.messages), messages.ERROR)
                    return None
                done += 1
            self.message_user(
                request,
                ngettext("%(n)d month computed again.", "%(n)d months computed again.", done)
                % {"n": done},
            )
            return None
        return render(
            request,
            "admin/casework/assessment_recompute.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Compute the assessment again"),
                "months": queryset,
                "form": form,
                "action": "recompute",
                "opts": self.model._meta,
            },
        )


@admin.register(WallToken)
class WallTokenAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Wall links: made here or on the portal page (the same service); the address is shown
    once, as a message. A link is revoked, never edited or deleted (its last use stays)."""

    list_display = (
        "name",
        "area",
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    list_select_related = ("area", "created_by")
    search_fields = ("name",)
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "area", "expires_at")
        return (
            "name",
            "area",
            "prefix",
            "created_by",
            "created_at",
            "last_used_at",
            "expires_at",
            "revoked_at",
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return self.get_fields(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "area":
            kwargs["queryset"] = wall.wall_areas_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        try:
            token, key = wall.wall_token_issue(
                actor=request.user, area=obj.area, name=obj.name, expires_at=obj.expires_at
            )
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(
                request, " ".join(getattr(exc, "messages", [str(exc)])), messages.ERROR
            )
            return
        obj.pk = token.pk
        obj.refresh_from_db()
        url = request.build_absolute_uri(reverse("wall:screen", args=[key]))
        self.message_user(
            request,
            _("The wall's address (shown only now, copy it): %(url)s") % {"url": url},
            messages.WARNING,
        )

    @admin.action(description=_("Revoke the selected links"))
    def revoke(self, request, queryset):
        done = sum(wall.wall_token_revoke(actor=request.user, token=t) for t in queryset)
        self.message_user(
            request,
            ngettext("%(n)d link revoked.", "%(n)d links revoked.", done) % {"n": done},
        )
