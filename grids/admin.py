from django import http
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from governance.admin import ScopedAdminMixin, TreeAdmin
from grids import services
from grids.models import Area, GridStaff


class GridStaffInline(admin.TabularInline):
    model = GridStaff
    extra = 0
    fields = ("position", "name", "phone", "user", "is_party_member", "started_on", "ended_on")
    raw_id_fields = ("user",)


@admin.register(Area)
class AreaAdmin(ScopedAdminMixin, TreeAdmin):
    """The area tree. Moves (drag and drop) and deletions go through grids.services, so that
    codes are renumbered, scope is checked and protected references give a message, not a 500.

    Kind and parent are fixed once an area exists: moving is a drag in the list, which
    renumbers the subtree; a kind change would invalidate the codes below.
    """

    list_display = ("tree_actions", "indented_title", "kind", "code", "households", "population")
    list_display_links = ("indented_title",)
    list_filter = ("kind",)
    search_fields = ("name", "code")
    inlines = (GridStaffInline,)
    raw_id_fields = ("parent",)
    list_per_page = 200

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ("parent", "kind")
        return ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent" and not request.user.is_superuser:
            # Only superusers start a new tree.
            kwargs["required"] = True
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_actions(self, request):
        # The bulk delete would bypass area_delete's checks; areas are deleted one at a time.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request, obj):
        services.area_delete(actor=request.user, area=obj)

    def _move_node(self, request):
        position = request.POST.get("position")
        if position not in ("last-child", "left", "right"):
            self.message_user(request, _("Did not understand moving instruction."), messages.ERROR)
            return http.HttpResponse("FAIL, unknown instruction.")
        queryset = self.get_queryset(request)
        try:
            area = queryset.get(pk=request.POST.get("cut_item"))
            target = queryset.get(pk=request.POST.get("pasted_on"))
        except (Area.DoesNotExist, TypeError, ValueError):
            self.message_user(request, _("Objects have disappeared, try again."), messages.ERROR)
            return http.HttpResponse("FAIL, invalid objects.")
        # Siblings are ordered by name, so only the new parent matters.
        new_parent = target if position == "last-child" else target.parent
        if new_parent is None:
            self.message_user(
                request, _("An area cannot become a root by dragging."), messages.ERROR
            )
            return http.HttpResponse("FAIL, invalid move.")
        try:
            services.area_move(actor=request.user, area=area, new_parent=new_parent)
        except PermissionDenied as exc:
            self.message_user(request, str(exc) or _("No permission"), messages.ERROR)
            return http.HttpResponse("FAIL, no permission.")
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return http.HttpResponse("FAIL, invalid move.")
        self.log_change(request, area, [{"changed": {"fields": ["parent", "code"]}}])
        self.message_user(
            request,
            _("%(area)s has been moved under %(parent)s (new code %(code)s).")
            % {"area": area, "parent": new_parent, "code": area.code},
        )
        return http.HttpResponse("OK, moved.")


@admin.register(GridStaff)
class GridStaffAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "position", "area", "phone", "is_party_member")
    list_filter = ("position", "is_party_member")
    search_fields = ("name", "phone", "area__name")
    list_select_related = ("area",)
    raw_id_fields = ("area", "user")


# Field work registers its own admins (patrols, hidden dangers, mobilization tasks).
from grids import field_admin, resident_admin  # noqa: E402, F401
