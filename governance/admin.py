from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from governance.models import (
    CalendarDay,
    Department,
    ObjectChange,
    RoleAssignment,
    User,
    WorkingHours,
)
from governance.models.calendar import STREET_KIND
from governance.scopes import area_model, changeable, visible
from governance.selectors import change_log_for


class ScopedAdminMixin:
    """Admin lists and edits narrowed by the scope filter for everyone but superusers."""

    def get_queryset(self, request):
        return visible(request.user, super().get_queryset(request))

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if obj is None or request.user.is_superuser or not allowed:
            return allowed
        return changeable(request.user, type(obj).objects.filter(pk=obj.pk)).exists()

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if obj is None or request.user.is_superuser or not allowed:
            return allowed
        return changeable(request.user, type(obj).objects.filter(pk=obj.pk)).exists()


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ("area", "department")
    fk_name = "user"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = (RoleAssignmentInline,)
    list_display = ("username", "full_name", "phone", "is_active", "is_staff")
    search_fields = ("username", "full_name", "phone")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Contact"), {"fields": ("full_name", "phone")}),
    )


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "phone", "head", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code")
    prepopulated_fields = {"code": ("name",)}
    raw_id_fields = ("head",)


@admin.register(ObjectChange)
class ObjectChangeAdmin(admin.ModelAdmin):
    list_display = ("time", "user_name", "interface", "action", "content_type", "object_repr")
    list_filter = ("action", "interface", "content_type")
    search_fields = ("object_repr", "user_name")
    date_hierarchy = "time"

    def get_queryset(self, request):
        return change_log_for(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "weekday", "kind", "name")
    list_filter = ("kind", "name")
    search_fields = ("name",)
    date_hierarchy = "date"

    @admin.display(description=_("weekday"), ordering="date")
    def weekday(self, obj):
        return date_format(obj.date, "l")


@admin.register(WorkingHours)
class WorkingHoursAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("area", "morning_start", "morning_end", "afternoon_start", "afternoon_end")
    list_select_related = ("area",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "area":
            # Only the streets this user may change; the field's own limit keeps it to streets.
            Area = area_model()
            kwargs["queryset"] = changeable(
                request.user, Area._default_manager.filter(kind=STREET_KIND)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
