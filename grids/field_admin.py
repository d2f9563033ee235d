"""Admin of field work. Street administrators see their own subtree only (ScopedAdminMixin).

Records change through their services, so the admin shows them read-only: patrols are started on
the phone, dangers move through their steps on the danger page, check reports are filed by
participants. What the admin writes goes through the services too: issuing a mobilization task
(split per building) and closing tasks (an action).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from governance.admin import ScopedAdminMixin
from grids import mobilization_services
from grids.models import (
    DangerReminder,
    HiddenDanger,
    HiddenDangerEvent,
    MobilizationReport,
    MobilizationSignup,
    MobilizationTarget,
    MobilizationTask,
    Patrol,
    PatrolFinding,
    PatrolPoint,
)


class ReadOnlyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Lists and pages to read; nothing added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# -- patrols --------------------------------------------------------------------------------
class PatrolFindingInline(ReadOnlyInline):
    model = PatrolFinding
    fields = ("found_at", "area", "description", "case")


@admin.register(Patrol)
class PatrolAdmin(ReadOnlyAdmin):
    list_display = (
        "__str__",
        "worker",
        "area",
        "started_at",
        "ended_at",
        "point_count",
        "distance_m",
    )
    list_filter = ("started_at",)
    search_fields = ("worker__full_name", "worker__username", "area__name")
    list_select_related = ("worker", "area")
    date_hierarchy = "started_at"
    inlines = (PatrolFindingInline,)


@admin.register(PatrolPoint)
class PatrolPointAdmin(ReadOnlyAdmin):
    list_display = ("patrol", "recorded_at", "latitude", "longitude", "accuracy_m")
    list_select_related = ("patrol",)
    raw_id_fields = ("patrol",)
    show_full_result_count = False


@admin.register(PatrolFinding)
class PatrolFindingAdmin(ReadOnlyAdmin):
    list_display = ("description", "area", "found_at", "case")
    search_fields = ("description", "address", "area__name")
    list_select_related = ("area", "case")
    date_hierarchy = "found_at"


# -- hidden dangers -------------------------------------------------------------------------
class HiddenDangerEventInline(ReadOnlyInline):
    model = HiddenDangerEvent
    fields = ("created_at", "step", "actor_name", "from_state", "to_state", "comment", "due_at")


@admin.register(HiddenDanger)
class HiddenDangerAdmin(ReadOnlyAdmin):
    list_display = ("title", "category", "state", "area", "assignee", "due_at", "found_at")
    list_filter = ("state", "category")
    search_fields = ("title", "description", "address", "responsible_party", "area__name")
    list_select_related = ("area", "assignee")
    date_hierarchy = "found_at"
    inlines = (HiddenDangerEventInline,)


@admin.register(HiddenDangerEvent)
class HiddenDangerEventAdmin(ReadOnlyAdmin):
    list_display = ("danger", "step", "actor_name", "from_state", "to_state", "created_at")
    list_filter = ("step",)
    list_select_related = ("danger",)


@admin.register(DangerReminder)
class DangerReminderAdmin(ReadOnlyAdmin):
    list_display = ("danger", "stage", "entry", "kind", "due_at", "created_at", "notified_at")
    list_filter = ("kind", "stage")
    list_select_related = ("danger",)


# -- mobilization ---------------------------------------------------------------------------
class TaskIssueAdminForm(forms.ModelForm):
    """Issuing through the admin asks the service's checks before the save splits the task."""

    class Meta:
        model = MobilizationTask
        fields = (
            "title",
            "kind",
            "area",
            "unit",
            "description",
            "questions",
            "photo_required",
            "volunteers_welcome",
            "max_per_building",
            "due_on",
        )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.issue_fields = mobilization_services.clean_issue(
                actor=self.request_user, **{name: data.get(name) for name in self.Meta.fields}
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        except PermissionDenied as exc:
            raise ValidationError(str(exc)) from exc
        return data


@admin.register(MobilizationTask)
class MobilizationTaskAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("title", "kind", "area", "status", "building_count", "due_on", "created_at")
    list_filter = ("status", "kind")
    search_fields = ("title", "area__name")
    list_select_related = ("area",)
    actions = ("close_tasks",)
    raw_id_fields = ("area",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = TaskIssueAdminForm
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request_user = request.user
        return form

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return [f.name for f in MobilizationTask._meta.fields]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        task = mobilization_services.task_issue(actor=request.user, **form.issue_fields)
        obj.pk = task.pk
        obj.building_count = task.building_count

    @admin.action(description=_("Close the selected tasks"))
    def close_tasks(self, request, queryset):
        closed = 0
        for task in queryset.filter(status=MobilizationTask.Status.OPEN).select_related("area"):
            try:
                mobilization_services.task_close(actor=request.user, task=task)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{task}: {exc}", messages.ERROR)
            else:
                closed += 1
        if closed:
            self.message_user(request, _("%(n)d task(s) closed.") % {"n": closed})


@admin.register(MobilizationTarget)
class MobilizationTargetAdmin(ReadOnlyAdmin):
    list_display = ("building", "task", "grid", "status", "report_count", "signup_count", "done_at")
    list_filter = ("status",)
    search_fields = ("building__name", "building__code", "task__title")
    list_select_related = ("building", "task", "grid")


@admin.register(MobilizationSignup)
class MobilizationSignupAdmin(ReadOnlyAdmin):
    list_display = ("user", "target", "capacity", "created_at")
    list_filter = ("capacity",)
    search_fields = ("user__full_name", "user__username", "target__building__name")
    list_select_related = ("user", "target__building")


@admin.register(MobilizationReport)
class MobilizationReportAdmin(ReadOnlyAdmin):
    list_display = ("target", "household", "reporter", "created_at")
    search_fields = ("target__building__name", "household", "reporter__full_name")
    list_select_related = ("target", "reporter")
    date_hierarchy = "created_at"
