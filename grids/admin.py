from django.contrib import admin
from mptt.admin import DraggableMPTTAdmin

from governance.admin import ScopedAdminMixin
from grids.models import Area, GridStaff


class GridStaffInline(admin.TabularInline):
    model = GridStaff
    extra = 0
    fields = ("position", "name", "phone", "user", "is_party_member", "started_on", "ended_on")
    raw_id_fields = ("user",)


@admin.register(Area)
class AreaAdmin(ScopedAdminMixin, DraggableMPTTAdmin):
    list_display = ("tree_actions", "indented_title", "kind", "code", "households", "population")
    list_display_links = ("indented_title",)
    list_filter = ("kind",)
    search_fields = ("name", "code")
    inlines = (GridStaffInline,)
    raw_id_fields = ("parent",)
    mptt_level_indent = 18
    list_per_page = 200


@admin.register(GridStaff)
class GridStaffAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "position", "area", "phone", "is_party_member")
    list_filter = ("position", "is_party_member")
    search_fields = ("name", "phone", "area__name")
    list_select_related = ("area",)
    raw_id_fields = ("area", "user")
