"""State changes only by its steps: the API's generic writes refuse state fields, the step
endpoints move them through the services, and every write (create, update, many-to-many,
delete) runs in the service."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from partybuilding import services
from partybuilding.models import (
    DualReport,
    Meeting,
    MeetingStatus,
    MemberStatus,
    PairingAgreement,
    Project,
    ProjectStatus,
    ProjectUpdate,
    ReportStatus,
)
from tests.partybuilding.factories import ActivityFactory, MeetingFactory, ProjectFactory


@pytest.fixture
def api(client, party):
    client.force_login(party.officer_a)
    return client


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def registered_report(party):
    return services.dual_report_register(
        actor=party.officer_a,
        kind="personal",
        community=party.tree.community_a,
        member=party.member_a,
        service_post="elderly_care",
    )


# -- the two bugs -------------------------------------------------------------------------------
def test_patching_a_projects_status_is_refused_and_changes_nothing(api, party):
    project = ProjectFactory(area=party.tree.grid_a1, status=ProjectStatus.IN_PROGRESS, progress=40)
    response = patch(api, f"/api/v1/party/projects/{project.pk}/", {"status": "completed"})
    assert response.status_code == 400
    assert "status" in response.json()["fields"]
    project.refresh_from_db()
    assert (project.status, project.progress) == (ProjectStatus.IN_PROGRESS, 40)
    assert not ProjectUpdate.objects.filter(project=project).exists()


def test_a_project_is_completed_by_its_step_with_progress_and_a_timeline_entry(api, party):
    project = ProjectFactory(area=party.tree.grid_a1, status=ProjectStatus.IN_PROGRESS, progress=40)
    response = post(
        api,
        f"/api/v1/party/projects/{project.pk}/status/",
        {"status": "completed", "text": "验收完毕"},
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["progress"]) == ("completed", 100)
    entry = ProjectUpdate.objects.get(project=project)
    assert (entry.status, entry.progress, entry.text) == ("completed", 100, "验收完毕")


def test_patching_a_member_out_is_refused_and_the_dual_report_stays(api, party):
    report = registered_report(party)
    response = patch(
        api, f"/api/v1/party/members/{party.member_a.pk}/", {"status": "transferred_out"}
    )
    assert response.status_code == 400
    assert "status" in response.json()["fields"]
    party.member_a.refresh_from_db()
    report.refresh_from_db()
    assert party.member_a.status == MemberStatus.FULL
    assert report.status == ReportStatus.REGISTERED


@pytest.mark.parametrize("url", ["transfer-out/", "status/"])
def test_transferring_a_member_out_withdraws_their_dual_report(api, party, url):
    report = registered_report(party)
    response = post(
        api, f"/api/v1/party/members/{party.member_a.pk}/{url}", {"status": "transferred_out"}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "transferred_out"
    report.refresh_from_db()
    assert report.status == ReportStatus.WITHDRAWN
    assert report.withdraw_reason


def test_a_patch_that_keeps_the_state_is_accepted(api, party):
    project = ProjectFactory(area=party.tree.grid_a1)
    data = api.get(f"/api/v1/party/projects/{project.pk}/").json()
    response = patch(
        api,
        f"/api/v1/party/projects/{project.pk}/",
        {"name": "加装电梯", "status": data["status"], "progress": data["progress"]},
    )
    assert response.status_code == 200, response.content
    project.refresh_from_db()
    assert project.name == "加装电梯"


# -- entry states and status steps -------------------------------------------------------------
def _member(party, **extra):
    return {
        "name": "钱海燕",
        "organization": party.branch_a1.pk,
        "join_date": "2024-07-01",
        "in_service": True,
        "work_unit": "区卫健委",
        **extra,
    }


def test_a_member_is_registered_full_or_probationary_but_never_transferred_out(api, party):
    response = post(api, "/api/v1/party/members/", _member(party, status="probationary"))
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "probationary"
    response = post(
        api, "/api/v1/party/members/", _member(party, name="孙志强", status="transferred_out")
    )
    assert response.status_code == 400
    assert "status" in response.json()["fields"]


def test_a_probationary_member_becomes_full_by_the_status_step_and_not_back(api, party):
    pk = post(api, "/api/v1/party/members/", _member(party, status="probationary")).json()["id"]
    response = post(api, f"/api/v1/party/members/{pk}/status/", {"status": "full"})
    assert response.json()["status"] == "full"
    response = post(api, f"/api/v1/party/members/{pk}/status/", {"status": "probationary"})
    assert response.status_code == 400
    assert "status" in response.json()["fields"]


def test_a_meeting_is_held_by_its_step(api, party):
    meeting = MeetingFactory(area=party.tree.community_a)
    assert (
        patch(api, f"/api/v1/party/meetings/{meeting.pk}/", {"status": "held"}).status_code == 400
    )
    response = post(api, f"/api/v1/party/meetings/{meeting.pk}/status/", {"status": "held"})
    assert response.status_code == 200
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    response = post(api, f"/api/v1/party/meetings/{meeting.pk}/status/", {"status": "scheduled"})
    assert response.status_code == 400


def test_the_status_step_of_another_community_is_not_found(client, party):
    meeting = MeetingFactory(area=party.tree.community_b)
    client.force_login(party.officer_a)
    response = post(client, f"/api/v1/party/meetings/{meeting.pk}/status/", {"status": "held"})
    assert response.status_code == 404
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.SCHEDULED


def test_an_agreement_is_terminated_by_its_step(api, party):
    agreement = PairingAgreement.objects.create(
        unit=party.unit_a,
        community=party.tree.community_a,
        signed_on=dt.date(2026, 1, 1),
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2027, 12, 31),
        commitments="共建",
    )
    url = f"/api/v1/party/agreements/{agreement.pk}/"
    assert patch(api, url, {"status": "terminated"}).status_code == 400
    assert post(api, f"{url}status/", {"status": "terminated"}).json()["status"] == "terminated"
    assert post(api, f"{url}status/", {"status": "active"}).status_code == 400


def test_a_cancelled_activity_takes_no_sign_ups(api, party):
    activity = ActivityFactory(area=party.tree.community_a, organizer=party.officer_a)
    url = f"/api/v1/party/activities/{activity.pk}/"
    assert post(api, f"{url}status/", {"status": "cancelled"}).json()["status"] == "cancelled"
    activity.refresh_from_db()
    assert not activity.takes_sign_ups


def test_an_activity_created_through_the_api_is_open_and_organized_by_the_caller(api, party):
    start = timezone.now() + dt.timedelta(days=2)
    data = {
        "title": "清理楼道",
        "service_type": "environment",
        "area": party.tree.community_a.pk,
        "place": "3号楼",
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
        "capacity": 10,
    }
    response = post(api, "/api/v1/party/activities/", {**data, "status": "cancelled"})
    assert response.status_code == 400 and "status" in response.json()["fields"]
    response = post(api, "/api/v1/party/activities/", data)
    assert response.status_code == 201, response.content
    assert (response.json()["status"], response.json()["organizer"]) == (
        "open",
        party.officer_a.pk,
    )


# -- every write through a service ---------------------------------------------------------------
def test_units_of_a_project_are_set_by_the_service_and_only_from_the_callers_scope(api, party):
    project = ProjectFactory(area=party.tree.grid_a1)
    url = f"/api/v1/party/projects/{project.pk}/"
    assert patch(api, url, {"units": [party.unit_a.pk]}).status_code == 200
    assert list(project.units.all()) == [party.unit_a]
    response = patch(api, url, {"name": "越权", "units": [party.unit_b.pk]})
    assert response.status_code == 400
    project.refresh_from_db()
    assert project.name != "越权"
    assert list(project.units.all()) == [party.unit_a]


def test_deleting_a_sub_project_re_derives_its_parents_progress(api, party):
    parent = ProjectFactory(area=party.tree.grid_a1)
    done = ProjectFactory(area=party.tree.grid_a1, parent=parent)
    waiting = ProjectFactory(area=party.tree.grid_a1, parent=parent)
    services.project_set_status(
        actor=party.officer_a, project=done, status="completed", text="完工"
    )
    assert Project.objects.get(pk=parent.pk).progress == 50
    assert api.delete(f"/api/v1/party/projects/{waiting.pk}/").status_code == 204
    assert Project.objects.get(pk=parent.pk).progress == 100


def test_a_project_with_sub_projects_is_not_deleted(api, party):
    parent = ProjectFactory(area=party.tree.grid_a1)
    ProjectFactory(area=party.tree.grid_a1, parent=parent)
    response = api.delete(f"/api/v1/party/projects/{parent.pk}/")
    assert response.status_code == 400
    assert Project.objects.filter(pk=parent.pk).exists()


def test_a_generic_save_never_moves_a_state_field(party):
    meeting = MeetingFactory(area=party.tree.community_a)
    meeting.status = MeetingStatus.HELD
    with pytest.raises(ValidationError) as exc:
        services.record_save(actor=party.officer_a, obj=meeting)
    assert "status" in exc.value.message_dict
    assert Meeting.objects.get(pk=meeting.pk).status == MeetingStatus.SCHEDULED


def test_the_meeting_page_moves_the_status_by_its_step(client, party):
    meeting = MeetingFactory(area=party.tree.community_a, status=MeetingStatus.HELD)
    client.force_login(party.officer_a)
    page = client.get(f"/party/meetings/{meeting.pk}/edit/")
    # A held meeting stays held: its status has no step to take.
    assert [v for v, _label in page.context["form"].fields["status"].choices] == ["held"]


def test_withdrawing_a_report_of_a_member_transferred_out_is_one_step(party):
    report = registered_report(party)
    services.member_transfer_out(actor=party.officer_a, member=party.member_a)
    assert DualReport.objects.get(pk=report.pk).status == ReportStatus.WITHDRAWN
    with pytest.raises(ValidationError):
        services.member_set_status(
            actor=party.officer_a, member=party.member_a, status=MemberStatus.FULL
        )
