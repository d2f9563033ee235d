"""Writes of councils and meetings: fixed-day series, resolutions, and the project or case a
resolution opens."""

from __future__ import annotations

import calendar
import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.models import Case, Category, Source
from casework.services import case_report
from governance.scopes import visible
from grids.models import Area
from partybuilding.models import Meeting, MeetingSeries, Project, ProjectStatus, Resolution
from partybuilding.permissions import ensure_may_change_in
from partybuilding.services.cogovernance import project_save, project_set_status
from partybuilding.services.common import (
    record_save,
    status_step,
    stepped_record_save,
    validated_save,
)


def meeting_save(*, actor, meeting: Meeting, status: str | None = None) -> Meeting:
    """Create or change a meeting (agenda, minutes, ...), in one transaction. A new meeting
    starts in ``status`` (scheduled, or held when it is entered afterwards); on a stored one
    another ``status`` is its step (``meeting_set_status``)."""
    return stepped_record_save(
        actor=actor,
        obj=meeting,
        status=status,
        step=lambda target: meeting_set_status(actor=actor, meeting=meeting, status=target),
    )


def meeting_set_status(*, actor, meeting: Meeting, status: str) -> Meeting:
    """Mark a meeting held or cancelled, or schedule a cancelled one again
    (MEETING_STATUS_STEPS), with the row locked while its status is read."""
    return status_step(actor=actor, obj=meeting, status=status)


def series_save(
    *, actor, series: MeetingSeries, plan_until: dt.date | None = None
) -> MeetingSeries:
    """Create or change a fixed-day series and plan its meetings up to ``plan_until`` (see
    ``series_generate``: idempotent, meetings that exist are kept), in one transaction."""
    with transaction.atomic():
        record_save(actor=actor, obj=series)
        if plan_until is not None:
            series_generate(actor=actor, series=series, until=plan_until)
    return series


def series_generate(*, actor, series: MeetingSeries, until: dt.date) -> int:
    """Create the meetings of a fixed-day series up to ``until`` (inclusive).

    Idempotent: an occurrence that exists is skipped (unique series + start time), so running
    it again, or from two places at once, never doubles a meeting. A day the month lacks
    (the 31st in April) is skipped. Returns how many meetings were created.
    """
    ensure_may_change_in(actor, series.area)
    last = min(until, series.ends_on) if series.ends_on else until
    tz = timezone.get_current_timezone()
    meetings = []
    for day in occurrence_dates(series.days_of_month, series.starts_on, last):
        starts_at = dt.datetime.combine(day, series.time, tzinfo=tz)
        meetings.append(
            Meeting(
                title=series.title,
                kind=series.kind,
                council=series.council,
                series=series,
                area=series.area,
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(minutes=series.duration_minutes),
                place=series.place,
            )
        )
    with transaction.atomic():
        before = Meeting.objects.filter(series=series).count()
        Meeting.objects.bulk_create(meetings, ignore_conflicts=True)
        return Meeting.objects.filter(series=series).count() - before


def occurrence_dates(days: list[int], first: dt.date, last: dt.date) -> list[dt.date]:
    """The dates between ``first`` and ``last`` that fall on one of ``days`` of their month."""
    result = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        length = calendar.monthrange(year, month)[1]
        for d in sorted(days):
            if d <= length:
                day = dt.date(year, month, d)
                if first <= day <= last:
                    result.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return result


def resolution_add(
    *, actor, meeting: Meeting, text: str, votes_for: int = 0, votes_against: int = 0
) -> Resolution:
    """Record a resolution of a meeting under the next number (the meeting row is locked while
    the number is taken, so two resolutions never share one)."""
    ensure_may_change_in(actor, meeting.area)
    with transaction.atomic():
        Meeting.objects.select_for_update().get(pk=meeting.pk)
        number = (
            meeting.resolutions.order_by("-number").values_list("number", flat=True).first() or 0
        ) + 1
        return validated_save(
            Resolution(
                meeting=meeting,
                number=number,
                text=text.strip(),
                votes_for=votes_for,
                votes_against=votes_against,
            )
        )


def resolution_open_project(
    *, actor, resolution: Resolution, name: str = "", area: Area | None = None
) -> Project:
    """Open a co-governance project from a resolution, in one step.

    The resolution row is locked while the project is created, so a double click or two
    officers at once open one project. The project is proposed and approved at once: its
    first timeline entry (``project_set_status``) names the meeting.
    """
    meeting = resolution.meeting
    area = area or meeting.area
    ensure_may_change_in(actor, area)
    if not area.is_within(meeting.area):
        raise ValidationError({"area": _("The project lies within the meeting's area.")})
    with transaction.atomic():
        locked = Resolution.objects.select_for_update().get(pk=resolution.pk)
        if locked.project_id:
            raise ValidationError(_("This resolution has opened a project already."))
        title = name.strip() or locked.text.strip().splitlines()[0][:150]
        project = project_save(
            actor=actor,
            project=Project(
                name=title,
                year=timezone.localtime(meeting.starts_at).year,
                area=area,
                description=locked.text,
            ),
        )
        project = project_set_status(
            actor=actor,
            project=project,
            status=ProjectStatus.APPROVED,
            text=_("Opened by resolution %(n)d of “%(meeting)s”")
            % {"n": locked.number, "meeting": meeting.title},
        )
        locked.project = project
        locked.project_opened_by = actor
        locked.save()
    resolution.refresh_from_db()
    return project


def resolution_open_case(
    *,
    actor,
    resolution: Resolution,
    category: Category,
    area: Area,
    title: str = "",
    address: str = "",
    priority: str | None = None,
) -> Case:
    """File a case (source: council resolution) from a resolution, in one step, at most once.

    The actor must see the meeting and must be allowed to file cases in ``area`` (casework's
    own rule, applied by ``casework.services.case_report``); the area lies within the
    meeting's. The resolution row is locked and then linked by a conditional update, inside
    the same transaction as the filing: a double click or two people at once file one case,
    the other gets a clear message and nothing is written.
    """
    meeting = resolution.meeting
    if not visible(actor, Meeting.objects.filter(pk=meeting.pk)).exists():
        raise PermissionDenied(_("You may not act on this meeting."))
    if area is not None and not area.is_within(meeting.area):
        raise ValidationError({"area": _("The case lies within the meeting's area.")})
    with transaction.atomic():
        locked = Resolution.objects.select_for_update().get(pk=resolution.pk)
        if locked.case_id:
            raise ValidationError(_("This resolution has opened a case already."))
        text = locked.text.strip()
        first_line = text.splitlines()[0] if text else ""
        case = case_report(
            actor=actor,
            title=title.strip() or first_line[:100],
            category=category,
            area=area,
            source=Source.COUNCIL,
            description=text,
            priority=priority,
            # A resolution names an area, not a point: the area's name stands for the place
            # until whoever handles the case pins it down.
            address=address.strip() or (area.name if area is not None else ""),
            comment=_("Opened by resolution %(n)d of “%(meeting)s” (%(day)s)")
            % {
                "n": locked.number,
                "meeting": meeting.title,
                "day": timezone.localtime(meeting.starts_at).date().isoformat(),
            },
        )
        if not Resolution.objects.filter(pk=locked.pk, case__isnull=True).update(
            case=case, case_opened_by=actor
        ):
            raise ValidationError(_("This resolution has opened a case already."))
    resolution.refresh_from_db()
    return case
