from django.contrib import admin

from governance.admin import ScopedAdminMixin, TreeAdmin
from partybuilding import models as m


class PostInline(admin.TabularInline):
    model = m.OrganizationPost
    extra = 0
    raw_id_fields = ("member",)


@admin.register(m.PartyOrganization)
class PartyOrganizationAdmin(ScopedAdminMixin, TreeAdmin):
    list_display = ("tree_actions", "indented_title", "kind", "area")
    list_display_links = ("indented_title",)
    list_filter = ("kind",)
    search_fields = ("name",)
    raw_id_fields = ("parent", "area")
    inlines = (PostInline,)
    list_select_related = ("area",)


@admin.register(m.OrganizationPost)
class OrganizationPostAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("organization", "position", "member", "term_start", "term_end", "ceased_on")
    list_filter = ("position",)
    raw_id_fields = ("organization", "member")
    list_select_related = ("organization", "member")


@admin.register(m.PartyMember)
class PartyMemberAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "organization", "status", "in_service", "work_unit", "join_date")
    list_filter = ("status", "in_service")
    search_fields = ("name", "phone", "work_unit")
    raw_id_fields = ("organization", "home_building", "user")
    list_select_related = ("organization",)


class ServiceInline(admin.TabularInline):
    model = m.DualReportService
    extra = 0


@admin.register(m.DualReport)
class DualReportAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "kind", "community", "service_post", "status", "registered_on")
    list_filter = ("kind", "status", "service_post")
    search_fields = ("member__name", "unit__name")
    raw_id_fields = ("community", "member", "unit")
    list_select_related = ("community", "member", "unit")
    inlines = (ServiceInline,)


@admin.register(m.DualReportService)
class DualReportServiceAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("report", "served_on", "hours", "description")
    raw_id_fields = ("report",)
    list_select_related = ("report__member", "report__unit", "report__community")


@admin.register(m.CoConstructionUnit)
class CoConstructionUnitAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "area", "contact_name", "party_member_count")
    list_filter = ("kind",)
    search_fields = ("name", "contact_name")
    raw_id_fields = ("area",)
    list_select_related = ("area",)


@admin.register(m.PairingAgreement)
class PairingAgreementAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("unit", "community", "signed_on", "starts_on", "ends_on", "status")
    list_filter = ("status",)
    search_fields = ("unit__name",)
    raw_id_fields = ("unit", "community", "party_organization")
    list_select_related = ("unit", "community")


@admin.register(m.Demand)
class DemandAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("title", "service_type", "source", "area", "status")
    list_filter = ("status", "service_type", "source")
    search_fields = ("title",)
    raw_id_fields = ("area",)
    list_select_related = ("area",)


@admin.register(m.Resource)
class ResourceAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("title", "kind", "service_type", "area", "is_available")
    list_filter = ("kind", "service_type", "is_available")
    search_fields = ("title",)
    raw_id_fields = ("area", "unit", "member")
    list_select_related = ("area",)


class ProjectUpdateInline(admin.TabularInline):
    model = m.ProjectUpdate
    extra = 0
    raw_id_fields = ("author",)


@admin.register(m.Project)
class ProjectAdmin(ScopedAdminMixin, TreeAdmin):
    list_display = ("tree_actions", "indented_title", "status", "progress", "year", "area")
    list_display_links = ("indented_title",)
    list_filter = ("status", "kind", "year")
    search_fields = ("name",)
    raw_id_fields = ("parent", "area", "demand", "agreement")
    filter_horizontal = ("units", "owners", "resources")
    readonly_fields = ("progress",)
    inlines = (ProjectUpdateInline,)
    list_select_related = ("area",)


@admin.register(m.ProjectUpdate)
class ProjectUpdateAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("project", "happened_on", "text", "status", "progress")
    raw_id_fields = ("project", "author")
    list_select_related = ("project",)


@admin.register(m.MicroWish)
class MicroWishAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("title", "resident_name", "area", "status", "claimed_at", "fulfilled_at")
    list_filter = ("status",)
    search_fields = ("title", "resident_name")
    raw_id_fields = ("area", "claimed_by_member", "claimed_by_unit")
    list_select_related = ("area",)


@admin.register(m.Volunteer)
class VolunteerAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "area", "member", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "phone")
    raw_id_fields = ("area", "member", "user")
    list_select_related = ("area", "member")


class ParticipationInline(admin.TabularInline):
    model = m.Participation
    extra = 0
    raw_id_fields = ("volunteer", "approved_by")


@admin.register(m.Activity)
class ActivityAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("title", "starts_at", "place", "area", "capacity", "status")
    list_filter = ("status", "service_type")
    search_fields = ("title", "place")
    raw_id_fields = ("area", "organizer", "organizer_unit")
    list_select_related = ("area",)
    inlines = (ParticipationInline,)


@admin.register(m.Participation)
class ParticipationAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("volunteer", "activity", "status", "hours", "approved_hours")
    list_filter = ("status",)
    raw_id_fields = ("activity", "volunteer", "approved_by")
    list_select_related = ("activity", "volunteer")


@admin.register(m.PointEntry)
class PointEntryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The ledger is append-only: entries are read here, never edited or deleted."""

    list_display = ("created_at", "volunteer", "amount", "reason", "source_key", "expires_on")
    search_fields = ("volunteer__name", "source_key", "reason")
    list_select_related = ("volunteer",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(m.Reward)
class RewardAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "cost", "stock", "area", "is_active")
    list_filter = ("is_active",)
    raw_id_fields = ("area", "provider")
    list_select_related = ("area",)


@admin.register(m.Redemption)
class RedemptionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "volunteer", "reward", "points")
    list_select_related = ("volunteer", "reward")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CouncilMemberInline(admin.TabularInline):
    model = m.CouncilMember
    extra = 0
    raw_id_fields = ("party_member", "unit")


@admin.register(m.Council)
class CouncilAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "kind", "area")
    raw_id_fields = ("area",)
    inlines = (CouncilMemberInline,)
    list_select_related = ("area",)


@admin.register(m.CouncilMember)
class CouncilMemberAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "position", "council", "term_start", "term_end")
    raw_id_fields = ("council", "party_member", "unit")
    list_select_related = ("council",)


@admin.register(m.MeetingSeries)
class MeetingSeriesAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("title", "kind", "area", "days_of_month", "time", "starts_on", "ends_on")
    raw_id_fields = ("area", "council")
    list_select_related = ("area",)


class AttendeeInline(admin.TabularInline):
    model = m.MeetingAttendee
    extra = 0
    raw_id_fields = ("party_member", "unit")


class ResolutionInline(admin.TabularInline):
    model = m.Resolution
    extra = 0
    raw_id_fields = ("project", "project_opened_by")


@admin.register(m.Meeting)
class MeetingAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("title", "kind", "starts_at", "area", "status", "minutes_public")
    list_filter = ("kind", "status", "minutes_public")
    search_fields = ("title",)
    date_hierarchy = "starts_at"
    raw_id_fields = ("area", "council", "series")
    inlines = (AttendeeInline, ResolutionInline)
    list_select_related = ("area",)


@admin.register(m.MeetingAttendee)
class MeetingAttendeeAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "role", "meeting", "attended")
    raw_id_fields = ("meeting", "party_member", "unit")
    list_select_related = ("meeting",)


@admin.register(m.Resolution)
class ResolutionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "votes_for", "votes_against", "project")
    raw_id_fields = ("meeting", "project", "project_opened_by")
    list_select_related = ("meeting", "project")
