from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from mptt.admin import DraggableMPTTAdmin, MPTTModelAdmin

from governance.models import (
    ApiToken,
    CalendarDay,
    Delivery,
    Department,
    Notification,
    ObjectChange,
    Role,
    RoleAssignment,
    User,
    WorkingHours,
)
from governance.scopes import area_model, changeable, scope_of, visible
from governance.selectors import change_log_for


def _is_scope_area(model) -> bool:
    return model is apps.get_model(settings.SCOPE_AREA_MODEL)


admin.site.site_header = _("Grid governance portal administration")
admin.site.site_title = _("Grid governance portal")
admin.site.index_title = _("Administration")


# django-mptt's admin lists indent rows with style attributes, which the Content-Security-Policy
# refuses; rows are indented by a class per level instead (static/css/admin_tree.css).
TREE_INDENT_LEVELS = 10


def _indented(node, text):
    level = min(node._mpttfield("level"), TREE_INDENT_LEVELS - 1)
    return format_html('<span class="tree-indent tree-level-{}">{}</span>', level, text)


class TreeAdmin(DraggableMPTTAdmin):
    """Admin for a tree model: indented, drag-and-drop moves (the one place the tree library's
    admin is named, so the apps could change tree library without touching their admins)."""

    mptt_level_indent = 18
    # A page shows its rows; collapsed, a paginated tree would show one root per page.
    expand_tree_by_default = True

    class Media:
        css = {"all": ["css/admin_tree.css"]}

    @admin.display(description=_("title"))
    def indented_title(self, item):
        return _indented(item, item)


class TreeListAdmin(MPTTModelAdmin):
    """Admin for a tree model that is listed indented, without drag-and-drop."""

    mptt_level_indent = 18
    change_list_template = "admin/change_list.html"

    class Media:
        css = {"all": ["css/admin_tree.css"]}

    def get_list_display(self, request):
        first, *rest = super().get_list_display(request)
        try:
            field = self.model._meta.get_field(first)
        except FieldDoesNotExist:
            return (first, *rest)

        @admin.display(description=field.verbose_name, ordering=first)
        def indented(item):
            return _indented(item, getattr(item, first))

        return (indented, *rest)


class ScopeAreaChoicesMixin:
    """Area choices (including raw-id inputs) limited to what a non-superuser may change, so that
    nobody attaches a record to an area outside their scope by typing its id."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if _is_scope_area(db_field.remote_field.model) and not request.user.is_superuser:
            queryset = kwargs.get("queryset", db_field.remote_field.model._default_manager.all())
            kwargs["queryset"] = changeable(request.user, queryset)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ScopedAdminMixin(ScopeAreaChoicesMixin):
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


def _role_assignments_for(user):
    """Assignments a street admin manages: area roles inside their subtree, and department roles
    (departments serve the whole street)."""
    qs = RoleAssignment.objects.all()
    scope = scope_of(user)
    if scope.is_superuser:
        return qs
    if not scope.has_role(Role.STREET_ADMIN):
        return qs.none()
    return qs.filter(
        scope.q(RoleAssignment, {Role.STREET_ADMIN})
        | Q(department__isnull=False, area__isnull=True)
    )


class RoleAssignmentInline(ScopeAreaChoicesMixin, admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ("area", "department")
    fk_name = "user"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Superusers manage everyone. A street admin manages the users whose roles all lie inside
    their subtree (or who have none yet) and cannot grant admin rights or permissions."""

    inlines = (RoleAssignmentInline,)
    list_display = ("username", "full_name", "phone", "is_active", "is_staff")
    search_fields = ("username", "full_name", "phone")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Contact"), {"fields": ("full_name", "phone")}),
    )
    scoped_fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("full_name", "phone", "email")}),
        (_("Permissions"), {"fields": ("is_active",)}),
    )

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            return self.scoped_fieldsets
        return super().get_fieldsets(request, obj)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        scope = scope_of(request.user)
        if scope.is_superuser:
            return qs
        if not scope.has_role(Role.STREET_ADMIN):
            return qs.none()
        outside = RoleAssignment.objects.filter(area__isnull=False).exclude(
            scope.q(RoleAssignment, {Role.STREET_ADMIN})
        )
        return qs.filter(is_superuser=False).exclude(pk__in=outside.values("user_id"))


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopeAreaChoicesMixin, admin.ModelAdmin):
    list_display = ("user", "role", "area", "department")
    list_filter = ("role",)
    search_fields = ("user__username", "user__full_name", "area__name", "department__name")
    list_select_related = ("user", "area", "department")
    raw_id_fields = ("user",)
    autocomplete_fields = ("area", "department")

    def get_queryset(self, request):
        return _role_assignments_for(request.user).select_related("user", "area", "department")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not request.user.is_superuser:
            kwargs["queryset"] = UserAdmin(User, self.admin_site).get_queryset(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "phone", "head", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code")
    prepopulated_fields = {"code": ("name",)}
    raw_id_fields = ("head",)


@admin.register(ObjectChange)
class ObjectChangeAdmin(admin.ModelAdmin):
    """Read-only: the change log is append-only for everyone, superusers included."""

    list_display = ("time", "user_name", "interface", "action", "content_type", "object_repr")
    list_filter = ("action", "interface", "content_type")
    search_fields = ("object_repr", "user_name")
    date_hierarchy = "time"
    readonly_fields = (
        "time",
        "user",
        "user_name",
        "request_id",
        "interface",
        "action",
        "content_type",
        "object_id",
        "object_repr",
        "area",
        "prechange_data",
        "postchange_data",
    )

    def get_queryset(self, request):
        return change_log_for(request.user)

    def get_actions(self, request):
        return {}

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
    ordering = ("-date",)

    def changelist_view(self, request, extra_context=None):
        # Opened bare, the calendar shows the current year (newest first), not every year.
        if not request.GET:
            return HttpResponseRedirect(f"{request.path}?date__year={timezone.localdate().year}")
        return super().changelist_view(request, extra_context)

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
                request.user, Area._default_manager.filter(kind=Area.STREET_KIND)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# -- notifications --------------------------------------------------------------------------
# A delivery still waiting or being sent after this long has lost its worker.
DELIVERY_STUCK_AFTER = timedelta(minutes=15)


class _RecipientScopedAdmin(admin.ModelAdmin):
    """Notifications are records of what people were told: read-only here. Street admins see
    those of the users they manage (the users list's scope), superusers everybody's."""

    recipient_path = "recipient"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        users = UserAdmin(User, self.admin_site).get_queryset(request)
        return qs.filter(**{f"{self.recipient_path}__in": users.values("pk")})

    def get_actions(self, request):
        return {}

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    fields = ("channel", "address", "status", "error", "created_at", "claimed_at", "sent_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(_RecipientScopedAdmin):
    list_display = ("created_at", "recipient", "kind", "title", "read_at")
    list_filter = ("kind", ("read_at", admin.EmptyFieldListFilter))
    search_fields = ("title", "key", "recipient__username", "recipient__full_name")
    list_select_related = ("recipient",)
    date_hierarchy = "created_at"
    inlines = (DeliveryInline,)


class DeliveryProblemFilter(admin.SimpleListFilter):
    """Deliveries that need a look: failed ones, and ones no worker finished in time."""

    title = _("problem")
    parameter_name = "problem"

    def lookups(self, request, model_admin):
        return (
            ("failed", _("Failed")),
            (
                "stuck",
                _("Stuck (waiting or being sent for over %(n)d minutes)")
                % {"n": DELIVERY_STUCK_AFTER.total_seconds() // 60},
            ),
        )

    def queryset(self, request, queryset):
        if self.value() == "failed":
            return queryset.filter(status=Delivery.Status.FAILED)
        if self.value() == "stuck":
            before = timezone.now() - DELIVERY_STUCK_AFTER
            return queryset.filter(
                Q(status=Delivery.Status.PENDING, created_at__lt=before)
                | Q(status=Delivery.Status.SENDING, claimed_at__lt=before)
            )
        return queryset


@admin.register(Delivery)
class DeliveryAdmin(_RecipientScopedAdmin):
    recipient_path = "notification__recipient"
    list_display = (
        "created_at",
        "recipient",
        "title",
        "channel",
        "address",
        "status",
        "error",
        "sent_at",
    )
    list_filter = (DeliveryProblemFilter, "status", "channel")
    search_fields = ("address", "error", "notification__title")
    list_select_related = ("notification", "notification__recipient")
    date_hierarchy = "created_at"

    @admin.display(description=_("recipient"), ordering="notification__recipient")
    def recipient(self, obj):
        return obj.notification.recipient

    @admin.display(description=_("title"))
    def title(self, obj):
        return obj.notification.title


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """API tokens are revoked (deleted) here, never issued or changed: a key is shown to its
    owner alone, once. Street admins see those of the users they manage."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "expires_at")
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__username", "user__full_name")
    date_hierarchy = "created_at"
    fields = ("user", "name", "prefix", "created_at", "last_used_at", "expires_at")
    readonly_fields = fields

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        users = UserAdmin(User, self.admin_site).get_queryset(request)
        return qs.filter(user__in=users.values("pk"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Webhook endpoints and their delivery log live in a module of their own.
from governance import webhook_admin  # noqa: E402, F401
