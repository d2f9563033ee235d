from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from mptt.admin import DraggableMPTTAdmin, MPTTModelAdmin
from mptt.forms import TreeNodeChoiceField, TreeNodeMultipleChoiceField

from governance import pinyin, privacy
from governance.models import (
    ApiToken,
    CalendarDay,
    Delivery,
    Department,
    Notification,
    ObjectChange,
    PersonalDataAccess,
    Role,
    RoleAssignment,
    TreeModel,
    User,
    WorkingHours,
)
from governance.scopes import (
    area_model,
    can_edit_shared_config,
    changeable,
    departments_for,
    departments_managed_by,
    rule_for,
    scope_of,
    users_managed_by,
    visible,
)
from governance.selectors import access_log_for, change_log_for


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


def _is_tree(model) -> bool:
    return model is not None and issubclass(model, TreeModel)


class TreePickerAdminMixin:
    """Keys to a tree model (an area, a category, a party organization, a project) are picked
    from the tree, indented by level (the category form's picker), never typed into a raw id
    box: an admin's ``raw_id_fields`` that point to a tree are dropped here, in one place."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.raw_id_fields = tuple(
            name
            for name in self.raw_id_fields
            if not _is_tree(self.model._meta.get_field(name).related_model)
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if _is_tree(db_field.related_model) and self._pickable(db_field, request, kwargs):
            kwargs.setdefault("form_class", TreeNodeChoiceField)
            self._visible_choices(db_field, request, kwargs)
        return self._in_tree_order(
            super().formfield_for_foreignkey(db_field, request, **kwargs), db_field
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if _is_tree(db_field.related_model) and self._pickable(db_field, request, kwargs):
            kwargs.setdefault("form_class", TreeNodeMultipleChoiceField)
            self._visible_choices(db_field, request, kwargs)
        return self._in_tree_order(
            super().formfield_for_manytomany(db_field, request, **kwargs), db_field
        )

    @staticmethod
    def _visible_choices(db_field, request, kwargs) -> None:
        # A picker lists its rows by name: only those the user may see (another street's party
        # organizations are not named). Areas come narrowed to the changeable ones already.
        related = db_field.related_model
        if "queryset" not in kwargs and not request.user.is_superuser and _has_scope_rule(related):
            kwargs["queryset"] = visible(request.user, related._default_manager.all())

    def _pickable(self, db_field, request, kwargs) -> bool:
        return "widget" not in kwargs and db_field.name not in self.get_autocomplete_fields(request)

    @staticmethod
    def _in_tree_order(formfield, db_field):
        if isinstance(formfield, TreeNodeChoiceField | TreeNodeMultipleChoiceField):
            formfield.queryset = formfield.queryset.order_by(*db_field.related_model.tree_order())
        return formfield


class ScopeAreaChoicesMixin(TreePickerAdminMixin):
    """Area and department choices (including raw-id inputs) limited to what a non-superuser may
    change, so that nobody attaches a record (a role, a default department) to an area or a
    department outside their scope by typing its id."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.remote_field.model
        if not request.user.is_superuser:
            if _is_scope_area(related):
                queryset = kwargs.get("queryset", related._default_manager.all())
                kwargs["queryset"] = changeable(request.user, queryset)
            elif related is Department:
                kwargs["queryset"] = departments_managed_by(request.user)
            elif related is get_user_model():
                kwargs["queryset"] = users_managed_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ChoosableDepartmentFilter(admin.RelatedFieldListFilter):
    """A department list filter naming only the departments the user may choose (another
    street's departments are not listed)."""

    def field_choices(self, field, request, model_admin):
        return [(d.pk, str(d)) for d in departments_for(request.user, active=False)]


class OwnedAdminMixin:
    """A record with an ``owner`` area (a department, a quick reply): a non-superuser must give
    one of theirs; left empty it would belong to every street."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if not request.user.is_superuser and "owner" in form.base_fields:
            form.base_fields["owner"].required = True
        return form


class SharedConfigAdminMixin:
    """What every street shares (the holiday calendar, the category tree and its time limits):
    street admins read it, superusers and district admins change it."""

    def has_add_permission(self, request, *args):
        return can_edit_shared_config(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and can_edit_shared_config(request.user)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and can_edit_shared_config(request.user)


def masked_field(name: str, label):
    """A read-only admin field (or list column) showing the personal field ``name`` masked
    (governance.privacy): the full value is read through the portal's logged reveal."""

    @admin.display(description=label)
    def show(*args):
        # Called as a list column (obj) and as a bound read-only field (admin, obj).
        return privacy.masked(args[-1], name)

    return show


class PinyinSearchAdminMixin:
    """Search fields that name a pinyin-keyed name (``name``, ``area__name``,
    ``user__full_name``: governance.pinyin) match its pinyin too, whole or by initials."""

    def get_search_results(self, request, queryset, search_term):
        matched, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if pinyin.normalize_term(search_term):
            q = Q(pk__in=[])
            for prefix, model in self._pinyin_paths(request):
                q |= pinyin.search_q(search_term, prefix=prefix, model=model, user=request.user)
            matched = matched | queryset.filter(q)
        return matched, may_have_duplicates

    def _pinyin_paths(self, request) -> list[tuple[str, type]]:
        paths: list[tuple[str, type]] = []
        for field in self.get_search_fields(request):
            *steps, last = field.lstrip("^=@").split("__")
            model = self.model
            try:
                for step in steps:
                    model = model._meta.get_field(step).related_model
            except (FieldDoesNotExist, AttributeError):
                continue
            if model is None or last not in getattr(model, "pinyin_depends_on", tuple)():
                continue
            path = ("".join(f"{step}__" for step in steps), model)
            if path not in paths:
                paths.append(path)
        return paths


class PersonalDataAdminMixin:
    """Personal fields (governance.privacy) in the admin: searched only as the privacy rule
    allows, never sortable, and every opening of a record that shows them in full is logged."""

    def _personal_fields(self) -> list[str]:
        return list(privacy.personal_fields(self.model))

    def get_search_fields(self, request):
        personal = set(self._personal_fields())
        return [f for f in super().get_search_fields(request) if f not in personal]

    def get_search_results(self, request, queryset, search_term):
        matched, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        personal = [
            f for f in super().get_search_fields(request) if f in set(self._personal_fields())
        ]
        term = search_term.strip()
        if personal and term:
            if not self.get_search_fields(request):
                # Only personal fields to search: the plain search matched everything.
                matched = queryset.none()
            q = Q(pk__in=[])
            for name in personal:
                q |= privacy.search_q(request.user, self.model, name, term)
            matched = matched | queryset.filter(q)
        return matched, may_have_duplicates

    def get_sortable_by(self, request):
        return [
            name
            for name in super().get_sortable_by(request)
            if not isinstance(name, str) or privacy.sortable(request.user, self.model, name)
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and getattr(response, "status_code", None) == 200:
            self._log_personal_read(request, object_id)
        return response

    def _log_personal_read(self, request, object_id) -> None:
        fields = privacy.personal_fields(self.model)
        if not fields:
            return
        obj = self.get_object(request, object_id)
        if obj is None:
            return
        # Only the fields the page shows in full (a masked stand-in is not a full read).
        shown = set(flatten_fieldsets(self.get_fieldsets(request, obj)))
        for name, spec in fields.items():
            if name in shown and getattr(obj, name, ""):
                privacy.log_access(
                    user=request.user,
                    objects=[obj],
                    field=name,
                    kind=spec.kind,
                    reason=str(_("Opened the record in the admin")),
                    interface=privacy.Interface.ADMIN,
                )


class ScopedAdminMixin(PinyinSearchAdminMixin, PersonalDataAdminMixin, ScopeAreaChoicesMixin):
    """Admin lists and edits narrowed by the scope filter for everyone but superusers."""

    def get_queryset(self, request):
        return visible(request.user, super().get_queryset(request))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # The choices of a many-to-many field (a project's units and resources) are rows the
        # user may see, not every street's.
        related = db_field.remote_field.model
        if not request.user.is_superuser and related is get_user_model():
            # People (a project's owners) are chosen from the users the admin manages.
            kwargs["queryset"] = users_managed_by(request.user)
        elif not request.user.is_superuser and _has_scope_rule(related):
            queryset = kwargs.get("queryset", related._default_manager.all())
            kwargs["queryset"] = visible(request.user, queryset)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

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


def _has_scope_rule(model) -> bool:
    try:
        rule_for(model)
    except LookupError:
        return False
    return True


def _role_assignments_for(user):
    """Assignments a street admin manages: area roles inside their subtree, and the roles of the
    departments they manage (a city-wide department's, or another street's, never)."""
    qs = RoleAssignment.objects.all()
    scope = scope_of(user)
    if scope.is_superuser:
        return qs
    if not scope.has_role(Role.STREET_ADMIN):
        return qs.none()
    return qs.filter(
        scope.q(RoleAssignment, {Role.STREET_ADMIN})
        | Q(department__in=departments_managed_by(user))
    )


class RoleAssignmentInline(ScopeAreaChoicesMixin, admin.TabularInline):
    model = RoleAssignment
    extra = 0
    # Departments are few per street, and their choices are the ones the admin manages.
    autocomplete_fields = ("area",)
    fk_name = "user"


@admin.register(User)
class UserAdmin(PinyinSearchAdminMixin, ScopeAreaChoicesMixin, BaseUserAdmin):
    """Superusers manage everyone. A street admin manages the users ``users_managed_by`` gives
    (every role of theirs in the admin's subtree or departments; without roles, registered in the
    subtree) and cannot grant admin rights or permissions. Password resets, activation changes and
    role grants are in the change log with the acting admin."""

    inlines = (RoleAssignmentInline,)
    list_display = ("username", "full_name", "phone", "is_active", "is_staff")
    search_fields = ("username", "full_name", "phone")
    ordering = ("name_sort", "username")
    autocomplete_fields = ("home_area",)
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Contact"), {"fields": ("full_name", "phone", "home_area")}),
    )
    scoped_fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("full_name", "phone", "email", "home_area")}),
        (_("Permissions"), {"fields": ("is_active",)}),
    )

    def get_fieldsets(self, request, obj=None):
        if not request.user.is_superuser:
            if obj is not None:
                return self.scoped_fieldsets
            # A new account must belong somewhere its creator manages.
            (name, options), *rest = self.add_fieldsets
            fields = (*options["fields"], "home_area")
            return ((name, {**options, "fields": fields}), *rest)
        return super().get_fieldsets(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not request.user.is_superuser and "home_area" in form.base_fields:
            form.base_fields["home_area"].required = obj is None
        return form

    def get_inlines(self, request, obj):
        # Roles are granted once the account exists (its add form is the password form).
        return self.inlines if obj is not None else ()

    def get_queryset(self, request):
        return users_managed_by(request.user)


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(PinyinSearchAdminMixin, ScopeAreaChoicesMixin, admin.ModelAdmin):
    list_display = ("user", "role", "area", "department")
    list_filter = ("role",)
    search_fields = ("user__username", "user__full_name", "area__name", "department__name")
    list_select_related = ("user", "area", "department")
    raw_id_fields = ("user",)
    autocomplete_fields = ("area",)

    def get_queryset(self, request):
        return _role_assignments_for(request.user).select_related("user", "area", "department")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not request.user.is_superuser:
            kwargs["queryset"] = users_managed_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Department)
class DepartmentAdmin(OwnedAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Street admins see the departments serving their street (city-wide and district ones
    read-only) and manage their street's own."""

    list_display = ("name", "code", "kind", "owner", "phone", "head", "is_active")
    list_filter = ("kind", "is_active")
    list_select_related = ("owner", "head")
    search_fields = ("name", "code")
    prepopulated_fields = {"code": ("name",)}
    raw_id_fields = ("head",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "head" and not request.user.is_superuser:
            kwargs["queryset"] = users_managed_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


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


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin):
    """Read-only: the personal data access log is append-only for everyone."""

    list_display = ("time", "user_name", "object_repr", "field_kind", "interface", "reason")
    list_filter = ("field_kind", "interface", "content_type")
    search_fields = ("user_name", "object_repr", "reason")
    date_hierarchy = "time"
    readonly_fields = (
        "time",
        "user",
        "user_name",
        "content_type",
        "object_id",
        "object_repr",
        "field",
        "field_kind",
        "interface",
        "reason",
        "area",
    )

    def get_queryset(self, request):
        return access_log_for(request.user)

    def get_actions(self, request):
        return {}

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(SharedConfigAdminMixin, admin.ModelAdmin):
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
        users = users_managed_by(request.user)
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
        return qs.filter(user__in=users_managed_by(request.user).values("pk"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Webhook endpoints and their delivery log live in a module of their own.
from governance import webhook_admin  # noqa: E402, F401
