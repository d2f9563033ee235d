"""Admin for case handling. Nothing of a case is a form field: it changes only through the steps
of the step table (which the admin offers as actions) and the deadline services, each writing
its event and raising the version. The deadline records are read-only history here too."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from casework import services, workflow
from casework.deadlines import services as deadline_services
from casework.deadlines.models import DeadlineRequest, Reminder, SupervisionOrder
from casework.models import (
    Attachment,
    Case,
    CaseCounter,
    CaseEvent,
    Category,
    PhotoDraft,
    ResponseTemplate,
    TimeLimit,
)
from governance.admin import (
    ChoosableDepartmentFilter,
    OwnedAdminMixin,
    PinyinSearchAdminMixin,
    ScopeAreaChoicesMixin,
    ScopedAdminMixin,
    SharedConfigAdminMixin,
    TreeListAdmin,
    TreePickerAdminMixin,
    masked_field,
)


class ReadOnlyAdminMixin:
    """Rows that are history: shown, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TimeLimitInline(admin.TabularInline):
    model = TimeLimit
    extra = 0
    fields = ("priority", "accept_hours", "dispatch_hours", "acknowledge_hours", "handle_hours")


@admin.register(Category)
class CategoryAdmin(
    PinyinSearchAdminMixin, SharedConfigAdminMixin, ScopeAreaChoicesMixin, TreeListAdmin
):
    """The category tree and its time limits are district-wide: street admins read them."""

    list_display = (
        "name",
        "code",
        "default_department",
        "default_priority",
        "around_the_clock",
        "is_active",
        "is_public",
    )
    list_filter = ("is_active", "is_public", "around_the_clock", "default_priority")
    search_fields = ("name", "code")
    # No raw id box: the parent is picked from the category tree, indented by level (the
    # tree admin's picker; a category tree has tens of nodes).
    list_select_related = ("default_department",)
    inlines = (TimeLimitInline,)

    def has_delete_permission(self, request, obj=None):
        # A category with cases stays (PROTECT); deactivate it instead.
        if obj is not None and obj.cases.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(TimeLimit)
class TimeLimitAdmin(
    PinyinSearchAdminMixin, TreePickerAdminMixin, SharedConfigAdminMixin, admin.ModelAdmin
):
    list_display = (
        "category",
        "priority",
        "accept_hours",
        "dispatch_hours",
        "acknowledge_hours",
        "handle_hours",
    )
    list_filter = ("priority",)
    list_select_related = ("category",)
    search_fields = ("category__name", "category__code")
    raw_id_fields = ("category",)


@admin.register(ResponseTemplate)
class ResponseTemplateAdmin(OwnedAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Street admins keep their street's quick replies and read those of the district and the
    city-wide ones."""

    list_display = ("title", "category", "owner", "step", "order", "is_active")
    list_filter = ("is_active", "step")
    search_fields = ("title", "text")
    list_select_related = ("category", "owner")
    raw_id_fields = ("category",)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "step":
            from django import forms

            return forms.ChoiceField(
                label=db_field.verbose_name,
                required=False,
                choices=[("", _("Every step")), *workflow.STEP_CHOICES],
                help_text=db_field.help_text,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class CaseEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CaseEvent
    extra = 0
    fields = (
        "created_at",
        "step_name",
        "actor_name",
        "role_name",
        "from_status",
        "to_status",
        "comment",
    )
    readonly_fields = fields
    can_delete = False
    ordering = ("created_at", "pk")

    @admin.display(description=_("step"))
    def step_name(self, obj):
        return obj.get_step_display()

    @admin.display(description=_("role used"))
    def role_name(self, obj):
        return obj.get_role_display()


class AttachmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Attachment
    extra = 0
    fields = ("preview", "kind", "event", "original_name", "width", "height", "created_at")
    readonly_fields = fields
    can_delete = False

    @admin.display(description=_("photo"))
    def preview(self, obj):
        return _thumbnail(obj)


def _thumbnail(obj: Attachment):
    if not obj.thumbnail:
        return "—"
    return format_html(
        '<a href="{}"><img src="{}" alt="" height="80"></a>',
        obj.image.url,
        obj.thumbnail.url,
    )


def _step_action(step_name: str):
    """An admin action that takes one step (with no required input) on each selected case."""
    step = workflow.STEPS[step_name]

    def action(modeladmin, request, queryset):
        done, refused = 0, []
        for case in queryset.select_related("area", "category"):
            try:
                services.case_step(case=case, actor=request.user, step=step_name)
                done += 1
            except ValidationError as exc:
                refused.append(f"{case.number}: {' '.join(exc.messages)}")
            except (PermissionDenied, services.CaseConflict) as exc:
                refused.append(f"{case.number}: {exc}")
        if done:
            modeladmin.message_user(
                request,
                ngettext("%(step)s: %(n)d case done.", "%(step)s: %(n)d cases done.", done)
                % {"step": step.label, "n": done},
                messages.SUCCESS,
            )
        for line in refused:
            modeladmin.message_user(request, line, messages.ERROR)

    action.__name__ = f"step_{step_name}"
    action.short_description = _("Step: %(step)s") % {"step": step.label}
    action.allowed_permissions = ("change",)
    return action


# Steps the admin can take in bulk: those that need no reason, result or choice. Steps that do
# (reject, merge, return, complete, ...) are taken on the case page or through the API.
ADMIN_STEPS = tuple(
    name for name, step in workflow.STEPS.items() if not step.creates and not step.required
)


@admin.register(Case)
class CaseAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "title",
        "status",
        "category",
        "area",
        "holder",
        "department",
        "due_at",
        "reported_at",
    )
    list_filter = (
        "status",
        "holder",
        "priority",
        "source",
        ("department", ChoosableDepartmentFilter),
    )
    search_fields = ("number", "title", "address", "reporter_name")
    list_select_related = ("category", "area", "department")
    date_hierarchy = "reported_at"
    ordering = ("-reported_at",)
    # Shown, never edited: a change here would write no event and raise no version.
    readonly_fields = (
        "number",
        "title",
        "status",
        "holder",
        "department",
        "due_at",
        "category",
        "area",
        "address",
        "description",
        "priority",
        "source",
        "reporter",
        "masked_reporter_name",
        "masked_reporter_phone",
        "duplicate_of",
        "result",
        "satisfaction",
        "reported_at",
        "closed_at",
        "version",
    )
    fields = readonly_fields
    inlines = (CaseEventInline, AttachmentInline)
    # A resident reporter's name and phone stay masked here; the case page reveals them (logged).
    masked_reporter_name = masked_field("reporter_name", _("reporter's name"))
    masked_reporter_phone = masked_field("reporter_phone", _("reporter's phone"))
    actions = [_step_action(name) for name in ADMIN_STEPS]

    def has_change_permission(self, request, obj=None):
        # The list's step actions need the change permission; a case's own page is for reading.
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        # Cases are filed through the portal or the API (the "report" step), not here.
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StepFilter(admin.SimpleListFilter):
    """Every step a case event may carry, by its label: the table's and the deadline ones."""

    title = _("step")
    parameter_name = "step"

    def lookups(self, request, model_admin):
        return workflow.EVENT_STEP_CHOICES

    def queryset(self, request, queryset):
        return queryset.filter(step=self.value()) if self.value() else queryset


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "case",
        "step_name",
        "actor_name",
        "role_name",
        "from_status",
        "to_status",
    )
    list_filter = (StepFilter, "to_status", "role")
    search_fields = ("case__number", "actor_name", "comment")
    list_select_related = ("case",)
    date_hierarchy = "created_at"

    @admin.display(description=_("step"), ordering="step")
    def step_name(self, obj):
        return obj.get_step_display()

    @admin.display(description=_("role used"), ordering="role")
    def role_name(self, obj):
        return obj.get_role_display()


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("preview", "case", "kind", "original_name", "size", "created_at")
    list_filter = ("kind",)
    search_fields = ("case__number", "original_name")
    list_select_related = ("case",)

    @admin.display(description=_("photo"))
    def preview(self, obj):
        return _thumbnail(obj)


@admin.register(PhotoDraft)
class PhotoDraftAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Photos uploaded for a case not yet filed; cleared by beat. They belong to their uploader
    and to no area: a superuser sees all, anyone else only their own."""

    list_display = ("original_name", "owner", "created_at")
    list_select_related = ("owner",)
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(owner=request.user)


@admin.register(CaseCounter)
class CaseCounterAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("street", "year", "last")
    list_select_related = ("street",)


# -- deadlines ------------------------------------------------------------------------------
class NotifiedFilter(admin.SimpleListFilter):
    title = _("people told")
    parameter_name = "told"

    def lookups(self, request, model_admin):
        return (("yes", _("Told")), ("no", _("Not told yet")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(notified_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(notified_at__isnull=True)
        return queryset


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """What the deadline scan found: a record, written only by the scan."""

    list_display = (
        "created_at",
        "case",
        "stage",
        "entry",
        "kind",
        "tier",
        "holder",
        "department",
        "due_at",
        "notified_at",
    )
    list_filter = ("kind", "tier", "stage", NotifiedFilter)
    search_fields = ("case__number", "case__title")
    list_select_related = ("case", "department")
    date_hierarchy = "created_at"


class _DeadlineRecordAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Requests and orders change only through :mod:`casework.deadlines.services` (pages, API
    and the actions here), which lock the case, write its event and tell the other side."""

    search_fields = ("case__number", "case__title")
    date_hierarchy = "created_at"


@admin.action(description=_("Approve the selected waiting requests"), permissions=["view"])
def approve_requests(modeladmin, request, queryset):
    done, refused = 0, []
    waiting = queryset.filter(status=DeadlineRequest.Status.PENDING).select_related("case")
    for deadline_request in waiting:
        try:
            deadline_services.deadline_request_decide(
                request=deadline_request, actor=request.user, approve=True
            )
            done += 1
        except (ValidationError, PermissionDenied) as exc:
            reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            refused.append(f"{deadline_request.case.number}: {reason}")
    if done:
        modeladmin.message_user(
            request,
            ngettext("%(n)d request approved.", "%(n)d requests approved.", done) % {"n": done},
            messages.SUCCESS,
        )
    for line in refused:
        modeladmin.message_user(request, line, messages.ERROR)


@admin.register(DeadlineRequest)
class DeadlineRequestAdmin(_DeadlineRecordAdmin):
    list_display = (
        "created_at",
        "case",
        "kind",
        "stage",
        "status",
        "hours",
        "requested_by",
        "decided_by",
        "decided_at",
    )
    list_filter = ("status", "kind", "stage")
    list_select_related = ("case", "requested_by", "decided_by")
    actions = (approve_requests,)

    def view_on_site(self, obj):
        return reverse("deadlines:case", args=[obj.case_id])


@admin.register(SupervisionOrder)
class SupervisionOrderAdmin(_DeadlineRecordAdmin):
    list_display = (
        "number",
        "case",
        "holder",
        "department",
        "issued_by",
        "status",
        "reply_due_at",
        "replied_at",
        "late",
    )
    list_filter = ("status", "holder", "stage")
    list_select_related = ("case", "department", "issued_by")

    @admin.display(description=_("late"), boolean=True)
    def late(self, obj):
        return obj.is_late

    def view_on_site(self, obj):
        return reverse("deadlines:order", args=[obj.pk])


# The monthly assessment registers its own admin classes.
from casework.stats import admin as _assessment_admin  # noqa: E402, F401
