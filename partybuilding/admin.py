"""The party-building admin. Every write goes through partybuilding.services, as on the portal
and in the API: saves, deletions, inline rows, drag-and-drop moves and the bulk actions. State
fields (a model's ``state_fields``) are read-only here; they move by their steps (the actions
below, the portal pages, the API). A service's refusal comes back onto the form or as a message,
and nothing is written."""

from django import http
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from governance.admin import ScopedAdminMixin, TreeAdmin
from governance.api.state import entry_states_of, state_fields_of
from governance.forms import apply_service_errors
from governance.scopes import users_managed_by, visible
from partybuilding import services
from partybuilding.models import (
    Activity,
    Booking,
    CoConstructionUnit,
    Compound,
    Consortium,
    ConsortiumMember,
    ContactStation,
    Council,
    CouncilMember,
    Demand,
    Deputy,
    DualReport,
    DualReportService,
    Meeting,
    MeetingAttendee,
    MeetingSeries,
    MicroWish,
    Opinion,
    OrganizationPost,
    OwnersCommittee,
    OwnersCommitteeMember,
    PairingAgreement,
    Participation,
    PartyMember,
    PartyOrganization,
    PointEntry,
    Position,
    PositionHours,
    Project,
    ProjectUpdate,
    PropertyCompany,
    PropertyContract,
    Reception,
    Redemption,
    Resolution,
    Resource,
    Reward,
    Room,
    UnitPointEntry,
    UnitPointRule,
    Volunteer,
)


class ServiceRefusal(Exception):
    """A service refused a save of the admin form; the form is shown again with its errors."""

    def __init__(self, error: ValidationError | PermissionDenied) -> None:
        super().__init__(str(error))
        self.error = error


def _refusal_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("You may not do this.")


class PartyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Saves through ``save_service`` (``services.record_save`` unless a model has its own;
    a record whose creation is a step of its own names it in ``create_service``), deletions
    through ``delete_service``, inline rows through the generic services."""

    create_service = None  # (request, obj) -> the record the creating step made

    def save_service(self, request, obj, related: dict[str, list]):
        if obj._state.adding and self.create_service is not None:
            return self.create_service(request, obj)
        return services.record_save(actor=request.user, obj=obj, related=related)

    def delete_service(self, request, obj) -> None:
        services.record_delete(actor=request.user, obj=obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        entries = entry_states_of(self.model) if obj is None else {}
        for name in state_fields_of(self.model):
            if name not in entries and name not in fields:
                fields.append(name)
        return fields

    def get_actions(self, request):
        # The bulk delete would bypass the delete service; records are deleted one at a time.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        related = {
            field.name: list(form.cleaned_data[field.name])
            for field in obj._meta.many_to_many
            if field.name in form.cleaned_data
        }
        try:
            saved = self.save_service(request, obj, related)
        except (ValidationError, PermissionDenied) as exc:
            raise ServiceRefusal(exc) from exc
        if saved is not obj:
            # A register step creates its own record; the admin goes on with the form's.
            for field in saved._meta.concrete_fields:
                setattr(obj, field.attname, getattr(saved, field.attname))
            obj._state.adding, obj._state.db = False, saved._state.db

    def save_related(self, request, form, formsets, change):
        # Many-to-many rows were set by the save service, inside its transaction.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        try:
            for obj in formset.save(commit=False):
                services.record_save(actor=request.user, obj=obj)
            for obj in formset.deleted_objects:
                services.record_delete(actor=request.user, obj=obj)
        except (ValidationError, PermissionDenied) as exc:
            raise ServiceRefusal(exc) from exc
        formset.save_m2m()

    def delete_model(self, request, obj):
        self.delete_service(request, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefusal as refusal:
            # The atomic view has rolled everything back: show the form again, with the
            # service's messages on it (get_form adds them while validating).
            request.service_refusal = refusal.error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, "service_refusal", None)
        if refusal is None:
            return form_class

        class RefusedForm(form_class):
            def clean(self):
                data = super().clean()
                if isinstance(refusal, ValidationError):
                    apply_service_errors(self, refusal)
                else:
                    self.add_error(None, _refusal_text(refusal))
                return data

        return RefusedForm

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as exc:
            self.message_user(request, _refusal_text(exc), messages.ERROR)
            return http.HttpResponseRedirect(request.path)


class PartyTreeAdmin(PartyAdmin, TreeAdmin):
    """A party-building tree: a drag-and-drop move is a change of parent saved by the model's
    own service (``save_service``), so its tree rules and scope checks apply."""

    def _move_node(self, request):
        position = request.POST.get("position")
        if position not in ("last-child", "left", "right"):
            self.message_user(request, _("Did not understand moving instruction."), messages.ERROR)
            return http.HttpResponse("FAIL, unknown instruction.")
        queryset = self.get_queryset(request)
        try:
            node = queryset.get(pk=request.POST.get("cut_item"))
            target = queryset.get(pk=request.POST.get("pasted_on"))
        except (self.model.DoesNotExist, TypeError, ValueError):
            self.message_user(request, _("Objects have disappeared, try again."), messages.ERROR)
            return http.HttpResponse("FAIL, invalid objects.")
        # Siblings are ordered by name, so only the new parent matters.
        node.parent = target if position == "last-child" else target.parent
        try:
            self.save_service(request, node, {})
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(request, _refusal_text(exc), messages.ERROR)
            return http.HttpResponse("FAIL, invalid move.")
        self.log_change(request, node, [{"changed": {"fields": ["parent"]}}])
        self.message_user(request, _("%(node)s has been moved.") % {"node": node})
        return http.HttpResponse("OK, moved.")


class ReadOnlyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Rows that are appended by their steps and never changed: a ledger, a timeline."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows written by their steps (timelines, sign-ups, service records, resolutions): shown,
    never edited here."""

    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def step_action(name: str, label, service, record: str, **inputs):
    """A bulk action that takes one step, through ``service``, on each selected record; each
    refusal is reported with the record it concerns."""

    def action(modeladmin, request, queryset):
        done, refused = 0, []
        for obj in queryset:
            try:
                service(actor=request.user, **{record: obj}, **inputs)
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                refused.append(f"{obj}: {_refusal_text(exc)}")
        if done:
            modeladmin.message_user(
                request,
                ngettext("%(step)s: %(n)d record done.", "%(step)s: %(n)d records done.", done)
                % {"step": label, "n": done},
                messages.SUCCESS,
            )
        for line in refused:
            modeladmin.message_user(request, line, messages.ERROR)

    action.__name__ = name
    action.short_description = label
    action.allowed_permissions = ("change",)
    return action


def _set_status_label(label) -> str:
    return _("Set status: %(status)s") % {"status": label}


_status_label = lazy(_set_status_label, str)


def status_actions(model, service, record: str) -> list:
    """One bulk action per status a record of ``model`` can be moved to."""
    targets = set().union(*(t for s, t in model.status_steps.items() if s is not None))
    return [
        step_action(
            f"set_status_{value}",
            _status_label(label),
            service,
            record,
            status=value,
        )
        for value, label in model._meta.get_field("status").choices
        if value in targets
    ]


# -- organizations ----------------------------------------------------------------------------
class PostInline(admin.TabularInline):
    model = OrganizationPost
    extra = 0
    raw_id_fields = ("member",)


@admin.register(PartyOrganization)
class PartyOrganizationAdmin(PartyTreeAdmin):
    list_display = ("tree_actions", "indented_title", "kind", "area")
    list_display_links = ("indented_title",)
    list_filter = ("kind",)
    search_fields = ("name",)
    raw_id_fields = ("parent", "area")
    inlines = (PostInline,)
    list_select_related = ("area",)

    def save_service(self, request, obj, related):
        return services.organization_save(actor=request.user, organization=obj)

    def delete_service(self, request, obj):
        services.organization_delete(actor=request.user, organization=obj)


@admin.register(OrganizationPost)
class OrganizationPostAdmin(PartyAdmin):
    list_display = ("organization", "position", "member", "term_start", "term_end", "ceased_on")
    list_filter = ("position",)
    raw_id_fields = ("organization", "member")
    list_select_related = ("organization", "member")

    def save_service(self, request, obj, related):
        return services.post_save(actor=request.user, post=obj)


@admin.register(PartyMember)
class PartyMemberAdmin(PartyAdmin):
    list_display = ("name", "organization", "status", "in_service", "work_unit", "join_date")
    list_filter = ("status", "in_service")
    search_fields = ("name", "phone", "work_unit")
    raw_id_fields = ("organization", "home_building", "user", "resident", "employer")
    list_select_related = ("organization",)
    actions = status_actions(PartyMember, services.member_set_status, "member")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # The linked resident (and employing unit) is one the user may read (never another
        # street's).
        if db_field.name in ("resident", "employer") and not request.user.is_superuser:
            kwargs["queryset"] = visible(request.user, db_field.remote_field.model.objects.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_service(self, request, obj, related):
        return services.member_save(actor=request.user, member=obj)


class ServiceInline(ReadOnlyInline):
    model = DualReportService


@admin.register(DualReport)
class DualReportAdmin(PartyAdmin):
    list_display = ("__str__", "kind", "community", "service_post", "status", "registered_on")
    list_filter = ("kind", "status", "service_post")
    search_fields = ("member__name", "unit__name")
    raw_id_fields = ("community", "member", "unit")
    list_select_related = ("community", "member", "unit")
    inlines = (ServiceInline,)
    actions = [
        step_action(
            "activate",
            gettext_lazy("Activate"),
            services.dual_report_step,
            "report",
            step="activate",
        )
    ]

    def create_service(self, request, obj):
        return services.dual_report_register(
            actor=request.user,
            kind=obj.kind,
            community=obj.community,
            service_post=obj.service_post,
            member=obj.member,
            unit=obj.unit,
            pledges=obj.pledges,
            yearly_target=obj.yearly_target,
            registered_on=obj.registered_on,
        )


@admin.register(DualReportService)
class DualReportServiceAdmin(PartyAdmin):
    list_display = ("report", "served_on", "hours", "description")
    raw_id_fields = ("report",)
    list_select_related = ("report__member", "report__unit", "report__community")

    def create_service(self, request, obj):
        return services.dual_report_record_service(
            actor=request.user,
            report=obj.report,
            served_on=obj.served_on,
            hours=obj.hours,
            description=obj.description,
        )


# -- co-governance ----------------------------------------------------------------------------
@admin.register(CoConstructionUnit)
class CoConstructionUnitAdmin(PartyAdmin):
    list_display = ("name", "kind", "area", "contact_name", "party_member_count")
    list_filter = ("kind",)
    search_fields = ("name", "contact_name")
    raw_id_fields = ("area",)
    list_select_related = ("area",)


@admin.register(PairingAgreement)
class PairingAgreementAdmin(PartyAdmin):
    list_display = ("unit", "community", "signed_on", "starts_on", "ends_on", "status")
    list_filter = ("status",)
    search_fields = ("unit__name",)
    raw_id_fields = ("unit", "community", "party_organization")
    list_select_related = ("unit", "community")
    actions = status_actions(PairingAgreement, services.agreement_set_status, "agreement")


@admin.register(Demand)
class DemandAdmin(PartyAdmin):
    list_display = ("title", "service_type", "source", "area", "status")
    list_filter = ("status", "service_type", "source")
    search_fields = ("title",)
    raw_id_fields = ("area", "consortium")
    list_select_related = ("area",)


@admin.register(Resource)
class ResourceAdmin(PartyAdmin):
    list_display = ("title", "kind", "service_type", "area", "is_available")
    list_filter = ("kind", "service_type", "is_available")
    search_fields = ("title",)
    raw_id_fields = ("area", "unit", "member")
    list_select_related = ("area",)


class ProjectUpdateInline(ReadOnlyInline):
    model = ProjectUpdate


@admin.register(Project)
class ProjectAdmin(PartyTreeAdmin):
    list_display = ("tree_actions", "indented_title", "status", "progress", "year", "area")
    list_display_links = ("indented_title",)
    list_filter = ("status", "kind", "year")
    search_fields = ("name",)
    raw_id_fields = ("parent", "area", "demand", "agreement", "consortium")
    filter_horizontal = ("units", "owners", "resources")
    inlines = (ProjectUpdateInline,)
    list_select_related = ("area",)

    def save_service(self, request, obj, related):
        return services.project_save(
            actor=request.user,
            project=obj,
            units=related.get("units"),
            owners=related.get("owners"),
            resources=related.get("resources"),
        )

    def delete_service(self, request, obj):
        services.project_delete(actor=request.user, project=obj)


@admin.register(ProjectUpdate)
class ProjectUpdateAdmin(ReadOnlyAdmin):
    """The timeline is append-only: entries are written by the project's status step."""

    list_display = ("project", "happened_on", "text", "status", "progress")
    list_select_related = ("project",)


@admin.register(MicroWish)
class MicroWishAdmin(PartyAdmin):
    list_display = ("title", "resident_name", "area", "status", "claimed_at", "fulfilled_at")
    list_filter = ("status",)
    search_fields = ("title", "resident_name")
    raw_id_fields = ("area", "claimed_by_member", "claimed_by_unit")
    list_select_related = ("area",)
    actions = [
        step_action("release", gettext_lazy("Release"), services.wish_release, "wish"),
        step_action(
            "withdraw", pgettext_lazy("party wish", "Withdraw"), services.wish_withdraw, "wish"
        ),
    ]


# -- volunteers -------------------------------------------------------------------------------
@admin.register(Volunteer)
class VolunteerAdmin(PartyAdmin):
    list_display = ("name", "area", "member", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "phone")
    raw_id_fields = ("area", "member", "user")
    list_select_related = ("area", "member")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Only an account the admin manages may be linked (typing another street's user id
        # would tie that account to this volunteer).
        if db_field.name == "user" and not request.user.is_superuser:
            kwargs["queryset"] = users_managed_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ParticipationInline(ReadOnlyInline):
    model = Participation
    fields = ("volunteer", "status", "checked_in_at", "checked_out_at", "hours", "approved_hours")


@admin.register(Activity)
class ActivityAdmin(PartyAdmin):
    list_display = ("title", "starts_at", "place", "area", "capacity", "status")
    list_filter = ("status", "service_type")
    search_fields = ("title", "place")
    raw_id_fields = ("area", "organizer", "organizer_unit")
    list_select_related = ("area",)
    inlines = (ParticipationInline,)
    actions = status_actions(Activity, services.activity_set_status, "activity")


@admin.register(Participation)
class ParticipationAdmin(PartyAdmin):
    """Sign-ups are made, checked in and out and approved on the portal (or through the API)."""

    list_display = ("volunteer", "activity", "status", "hours", "approved_hours")
    list_filter = ("status",)
    list_select_related = ("activity", "volunteer")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PointEntry)
class PointEntryAdmin(ReadOnlyAdmin):
    """The ledger is append-only: entries are read here, never edited or deleted."""

    list_display = ("created_at", "volunteer", "amount", "reason", "source_key", "expires_on")
    search_fields = ("volunteer__name", "source_key", "reason")
    list_select_related = ("volunteer",)


@admin.register(Reward)
class RewardAdmin(PartyAdmin):
    list_display = ("name", "cost", "stock", "area", "is_active")
    list_filter = ("is_active",)
    raw_id_fields = ("area", "provider")
    list_select_related = ("area",)


@admin.register(Redemption)
class RedemptionAdmin(PartyAdmin):
    list_display = ("created_at", "volunteer", "reward", "points")
    list_select_related = ("volunteer", "reward")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# -- meetings ---------------------------------------------------------------------------------
class CouncilMemberInline(admin.TabularInline):
    model = CouncilMember
    extra = 0
    raw_id_fields = ("party_member", "unit")


@admin.register(Council)
class CouncilAdmin(PartyAdmin):
    list_display = ("name", "kind", "area")
    raw_id_fields = ("area",)
    inlines = (CouncilMemberInline,)
    list_select_related = ("area",)


@admin.register(CouncilMember)
class CouncilMemberAdmin(PartyAdmin):
    list_display = ("name", "position", "council", "term_start", "term_end")
    raw_id_fields = ("council", "party_member", "unit")
    list_select_related = ("council",)


@admin.register(MeetingSeries)
class MeetingSeriesAdmin(PartyAdmin):
    list_display = ("title", "kind", "area", "days_of_month", "time", "starts_on", "ends_on")
    raw_id_fields = ("area", "council")
    list_select_related = ("area",)

    def save_service(self, request, obj, related):
        return services.series_save(actor=request.user, series=obj)


class AttendeeInline(admin.TabularInline):
    model = MeetingAttendee
    extra = 0
    raw_id_fields = ("party_member", "unit")


class ResolutionInline(ReadOnlyInline):
    model = Resolution
    fields = ("number", "text", "votes_for", "votes_against", "project", "case")


@admin.register(Meeting)
class MeetingAdmin(PartyAdmin):
    list_display = ("title", "kind", "starts_at", "area", "status", "minutes_public")
    list_filter = ("kind", "status", "minutes_public")
    search_fields = ("title",)
    date_hierarchy = "starts_at"
    raw_id_fields = ("area", "council", "series", "consortium")
    inlines = (AttendeeInline, ResolutionInline)
    list_select_related = ("area",)
    actions = status_actions(Meeting, services.meeting_set_status, "meeting")


@admin.register(MeetingAttendee)
class MeetingAttendeeAdmin(PartyAdmin):
    list_display = ("name", "role", "meeting", "attended")
    raw_id_fields = ("meeting", "party_member", "unit")
    list_select_related = ("meeting",)


@admin.register(Resolution)
class ResolutionAdmin(PartyAdmin):
    """Resolutions are numbered by the service that records them; the project or case one
    opens is opened on the meeting's page (or through the API)."""

    list_display = ("__str__", "votes_for", "votes_against", "project")
    fields = ("meeting", "number", "text", "votes_for", "votes_against", "project", "case")
    raw_id_fields = ("meeting",)
    list_select_related = ("meeting", "project")

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "number") if obj is None else (*fields, "meeting", "number")

    def create_service(self, request, obj):
        return services.resolution_add(
            actor=request.user,
            meeting=obj.meeting,
            text=obj.text,
            votes_for=obj.votes_for,
            votes_against=obj.votes_against,
        )


# -- positions and bookings -------------------------------------------------------------------
class PositionHoursInline(admin.TabularInline):
    model = PositionHours
    extra = 0


class RoomInline(admin.TabularInline):
    model = Room
    extra = 0


@admin.register(Position)
class PositionAdmin(PartyAdmin):
    list_display = ("name", "kind", "area", "unit", "requires_approval", "is_public")
    list_filter = ("kind", "requires_approval", "is_public")
    search_fields = ("name", "address")
    raw_id_fields = ("area", "unit", "resource")
    inlines = (RoomInline, PositionHoursInline)
    list_select_related = ("area", "unit")


@admin.register(PositionHours)
class PositionHoursAdmin(PartyAdmin):
    list_display = ("position", "weekday", "opens", "closes")
    list_filter = ("weekday",)
    raw_id_fields = ("position",)
    list_select_related = ("position",)


@admin.register(Room)
class RoomAdmin(PartyAdmin):
    list_display = ("name", "position", "kind", "capacity", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "position__name")
    raw_id_fields = ("position",)
    list_select_related = ("position",)


BOOKING_FIXED_FIELDS = (
    "room",
    "title",
    "kind",
    "activity",
    "meeting",
    "unit",
    "group_name",
    "starts_at",
    "ends_at",
    "expected_people",
)


@admin.register(Booking)
class BookingAdmin(PartyAdmin):
    """A booking is made by the booking service (opening hours, capacity, no overlap); once
    made, only its note changes here, and its status moves by the actions."""

    list_display = ("title", "room", "starts_at", "ends_at", "kind", "status", "booked_by")
    list_filter = ("status", "kind")
    search_fields = ("title", "group_name")
    date_hierarchy = "starts_at"
    raw_id_fields = ("room", "activity", "meeting", "unit")
    exclude = ("booked_by", "decided_by", "people_served")
    list_select_related = ("room__position", "booked_by")
    actions = (
        step_action(
            "approve_bookings", gettext_lazy("Approve"), services.booking_approve, "booking"
        ),
        step_action("reject_bookings", gettext_lazy("Reject"), services.booking_reject, "booking"),
        step_action(
            "cancel_bookings", gettext_lazy("Cancel booking"), services.booking_cancel, "booking"
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.extend(BOOKING_FIXED_FIELDS)
        return [*fields, "status"] if "status" not in fields else fields

    def create_service(self, request, obj):
        return services.booking_create(
            actor=request.user,
            room=obj.room,
            title=obj.title,
            kind=obj.kind,
            starts_at=obj.starts_at,
            ends_at=obj.ends_at,
            expected_people=obj.expected_people,
            activity=obj.activity,
            meeting=obj.meeting,
            unit=obj.unit,
            group_name=obj.group_name,
            note=obj.note,
        )


# -- the three carriages ----------------------------------------------------------------------
class OwnersCommitteeMemberInline(admin.TabularInline):
    model = OwnersCommitteeMember
    extra = 0
    raw_id_fields = ("party_member",)


@admin.register(Compound)
class CompoundAdmin(PartyAdmin):
    list_display = ("name", "kind", "area", "households", "residents_committee")
    list_filter = ("kind",)
    search_fields = ("name",)
    raw_id_fields = ("area",)
    list_select_related = ("area",)


@admin.register(OwnersCommittee)
class OwnersCommitteeAdmin(PartyAdmin):
    list_display = ("name", "compound", "elected_on", "term_start", "term_end")
    raw_id_fields = ("compound",)
    inlines = (OwnersCommitteeMemberInline,)
    list_select_related = ("compound",)


@admin.register(OwnersCommitteeMember)
class OwnersCommitteeMemberAdmin(PartyAdmin):
    list_display = ("name", "post", "committee")
    raw_id_fields = ("committee", "party_member")
    list_select_related = ("committee",)


@admin.register(PropertyCompany)
class PropertyCompanyAdmin(PartyAdmin):
    list_display = ("__str__", "area", "service_phone", "quality_score", "is_red")
    list_filter = ("is_red",)
    search_fields = ("department__name",)
    raw_id_fields = ("area", "party_organization")
    list_select_related = ("department", "area")


@admin.register(PropertyContract)
class PropertyContractAdmin(PartyAdmin):
    list_display = ("compound", "company", "starts_on", "ends_on")
    raw_id_fields = ("compound", "company")
    list_select_related = ("compound", "company__department")

    def save_service(self, request, obj, related):
        return services.contract_save(actor=request.user, contract=obj)


# -- units' points ----------------------------------------------------------------------------
@admin.register(UnitPointRule)
class UnitPointRuleAdmin(PartyAdmin):
    list_display = ("item", "area", "points", "yearly_cap")
    raw_id_fields = ("area",)
    list_select_related = ("area",)


@admin.register(UnitPointEntry)
class UnitPointEntryAdmin(ReadOnlyAdmin):
    list_display = ("unit", "year", "item", "amount", "reason", "created_at")
    list_filter = ("year", "item")
    search_fields = ("unit__name", "reason")
    list_select_related = ("unit",)


# -- governance consortia ---------------------------------------------------------------------
class ConsortiumMemberInline(admin.TabularInline):
    model = ConsortiumMember
    extra = 0
    raw_id_fields = ("unit", "company", "volunteer")


@admin.register(Consortium)
class ConsortiumAdmin(PartyAdmin):
    list_display = ("name", "area", "motto")
    search_fields = ("name",)
    raw_id_fields = ("area", "covered_areas", "compounds", "units")
    inlines = (ConsortiumMemberInline,)
    list_select_related = ("area",)

    def save_service(self, request, obj, related):
        return services.consortium_save(actor=request.user, consortium=obj, related=related)


@admin.register(ConsortiumMember)
class ConsortiumMemberAdmin(PartyAdmin):
    list_display = ("name", "side", "role", "consortium")
    raw_id_fields = ("consortium", "unit", "company", "volunteer")
    list_select_related = ("consortium",)


# -- the deputies' contact station -------------------------------------------------------------
@admin.register(ContactStation)
class ContactStationAdmin(PartyAdmin):
    list_display = ("name", "area", "address", "is_public")
    list_filter = ("is_public",)
    search_fields = ("name", "address")
    raw_id_fields = ("area",)
    list_select_related = ("area",)


@admin.register(Deputy)
class DeputyAdmin(PartyAdmin):
    list_display = ("name", "kind", "level", "term", "area")
    list_filter = ("kind", "level")
    search_fields = ("name", "work_unit")
    raw_id_fields = ("area", "stations", "user")
    list_select_related = ("area",)

    def save_service(self, request, obj, related):
        return services.deputy_save(
            actor=request.user, deputy=obj, stations=related.get("stations", [])
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Only an account the admin manages may be linked.
        if db_field.name == "user":
            kwargs["queryset"] = users_managed_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Reception)
class ReceptionAdmin(PartyAdmin):
    list_display = ("station", "day", "starts", "ends", "status")
    list_filter = ("status",)
    date_hierarchy = "day"
    raw_id_fields = ("station", "deputies")
    list_select_related = ("station",)

    def save_service(self, request, obj, related):
        return services.reception_save(
            actor=request.user, reception=obj, deputies=related.get("deputies", [])
        )


@admin.register(Opinion)
class OpinionAdmin(PartyAdmin):
    """Opinions are handled (demand, case, reply) on the portal and through the API."""

    list_display = ("__str__", "masked_name", "reception", "deputy", "outcome")
    list_filter = ("outcome",)
    search_fields = ("content", "resident_name", "resident_phone")
    raw_id_fields = ("reception", "deputy", "area")
    list_select_related = ("reception__station", "deputy")

    @admin.display(description=gettext_lazy("resident"))
    def masked_name(self, obj):
        return obj.masked_name
