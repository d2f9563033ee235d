"""Admin of the resident register, scoped to the user's subtree (ScopedAdminMixin).

Writes go through the services (``save_model``). Personal fields never appear in full here: the
lists and the resident's page show them masked, they are not searched (names are) and a
resident's ID number, phone and registered address are changed on the portal or by import,
where reading one in full is a logged act. Residents, visits and tags are never deleted here.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from governance import privacy
from governance.admin import ScopedAdminMixin
from grids import resident_services as services
from grids.models import CareTag, Household, ImportRun, Resident, ResidentCareTag, Room, Visit


class ServiceSavedAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Saves through ``service(actor=..., <record_name>=obj or None, **changed fields)``."""

    service = None
    record_name = ""

    def save_model(self, request, obj, form, change):
        # The form has validated the row (model validation, areas limited to the user's scope);
        # the service checks again and writes.
        data = dict(form.cleaned_data)
        try:
            saved = type(self).service(
                actor=request.user, **{self.record_name: obj if change else None}, **data
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
            raise
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False


def _masked(name: str, label):
    @admin.display(description=label)
    def show(*args):
        # Called as a list column (obj) and as a bound read-only field (admin, obj).
        return privacy.masked(args[-1], name)

    return show


@admin.register(Room)
class RoomAdmin(ServiceSavedAdmin):
    service = staticmethod(services.room_save)
    record_name = "room"
    list_display = ("__str__", "floor", "use", "floor_area", "owner", "tenant")
    list_filter = ("use",)
    search_fields = ("number", "area__name")
    list_select_related = ("area", "owner", "tenant")
    raw_id_fields = ("area", "owner", "tenant")
    fields = ("area", "number", "floor", "floor_area", "use", "owner", "tenant", "notes")


@admin.register(Household)
class HouseholdAdmin(ServiceSavedAdmin):
    service = staticmethod(services.household_save)
    record_name = "household"
    list_display = ("number", "area", "room", "householder")
    search_fields = ("number", "area__name")
    list_select_related = ("area", "room", "householder")
    raw_id_fields = ("area", "room", "householder")
    fields = ("area", "number", "room", "householder", "notes")


class ResidentCareTagInline(admin.TabularInline):
    model = ResidentCareTag
    extra = 0
    can_delete = False
    fields = ("tag", "since", "notes")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Resident)
class ResidentAdmin(ServiceSavedAdmin):
    service = staticmethod(services.resident_save)
    record_name = "resident"
    list_display = (
        "name",
        "area",
        "gender",
        "birth_date",
        _masked("id_number", _("ID number")),
        _masked("phone", _("phone")),
        "resident_type",
        "next_visit_due",
    )
    list_filter = ("resident_type", "gender", "political_status", "id_type")
    # Names only: ID numbers and phones are masked, so they are not searched here.
    search_fields = ("name",)
    list_select_related = ("area",)
    raw_id_fields = ("area", "room", "household")
    inlines = (ResidentCareTagInline,)
    fields = (
        "area",
        "room",
        "household",
        "relation",
        "name",
        "id_type",
        "masked_id_number",
        "masked_phone",
        "masked_registered_address",
        "gender",
        "birth_date",
        "ethnicity",
        "political_status",
        "resident_type",
        "moved_in_on",
        "moved_out_on",
        "deceased_on",
        "last_visit_on",
        "next_visit_due",
        "notes",
    )
    readonly_fields = (
        "masked_id_number",
        "masked_phone",
        "masked_registered_address",
        "moved_out_on",
        "deceased_on",
        "last_visit_on",
        "next_visit_due",
    )
    masked_id_number = _masked("id_number", _("ID number"))
    masked_phone = _masked("phone", _("phone"))
    masked_registered_address = _masked("registered_address", _("registered address"))

    def has_add_permission(self, request):
        # A resident is registered with their ID number: on the portal's API or by import.
        return False


@admin.register(CareTag)
class CareTagAdmin(ServiceSavedAdmin):
    service = staticmethod(services.care_tag_save)
    record_name = "tag"
    list_display = ("name", "street", "visit_every_days", "active")
    list_filter = ("active",)
    search_fields = ("name",)
    list_select_related = ("street",)
    raw_id_fields = ("street",)
    fields = ("street", "name", "visit_every_days", "description", "active")


@admin.register(Visit)
class VisitAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Visits are recorded on the phone; here they are read."""

    list_display = ("resident", "visited_on", "visitor", "in_home", "need", "case")
    list_filter = ("in_home", "visited_on")
    search_fields = ("resident__name", "need")
    list_select_related = ("resident", "visitor", "case")
    date_hierarchy = "visited_on"
    fields = ("resident", "area", "visitor", "visited_on", "in_home", "notes", "need", "case")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ImportRun)
class ImportRunAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Imports and import jobs, to read (they are made on the import page)."""

    list_display = (
        "created_at",
        "kind",
        "file_name",
        "user",
        "state",
        "total_rows",
        "new_rows",
        "updated_rows",
        "skipped_rows",
    )
    list_filter = ("kind", "state")
    list_select_related = ("user",)
    exclude = ("file",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
