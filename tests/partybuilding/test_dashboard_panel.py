"""The party-building and co-governance panel on the dashboard: its figures in the dashboard
area's subtree and the user's scope, each a link to its list, and a bounded query count."""

from __future__ import annotations

import re
from html import unescape

from django.urls import reverse
from django.utils import timezone

from partybuilding.dashboard import party_panel
from partybuilding.models import MeetingStatus, ProjectStatus
from tests.conftest import _with_role
from tests.partybuilding.factories import MeetingFactory, MemberFactory, ProjectFactory

URL = reverse("stats:dashboard")


def _figures(panel) -> dict:
    return {f["key"]: f for f in panel["figures"]}


def _projects(panel) -> dict:
    return {p["status"]: p for p in panel["projects"]}


def _setup(party):
    tree = party.tree
    year = timezone.localdate().year
    MemberFactory(organization=party.branch_a1, in_service=False)
    ProjectFactory(area=tree.community_a, year=year, status=ProjectStatus.IN_PROGRESS, progress=40)
    ProjectFactory(area=tree.grid_a1, year=year, status=ProjectStatus.IN_PROGRESS, progress=60)
    ProjectFactory(area=tree.community_b, year=year, status=ProjectStatus.COMPLETED, progress=100)
    ProjectFactory(area=tree.community_a, year=year - 1, status=ProjectStatus.COMPLETED)
    MeetingFactory(area=tree.community_a, status=MeetingStatus.HELD)
    MeetingFactory(area=tree.community_a, status=MeetingStatus.SCHEDULED)
    MeetingFactory(area=tree.community_b, status=MeetingStatus.HELD)


def test_the_street_sees_the_whole_streets_party_figures(party):
    _setup(party)
    panel = party_panel(party.cast.street_admin, party.tree.street)
    figures = _figures(panel)
    assert figures["members"]["value"] == 3 and figures["members"]["extra"] == 2
    assert figures["meetings"]["value"] == 2
    projects = _projects(panel)
    assert projects[ProjectStatus.IN_PROGRESS]["n"] == 2
    assert projects[ProjectStatus.IN_PROGRESS]["progress"] == 50
    assert projects[ProjectStatus.COMPLETED]["n"] == 1
    assert projects[ProjectStatus.PROPOSED]["progress"] is None
    assert panel["projects_total"] == 3


def test_a_community_is_counted_alone_and_each_figure_links_to_its_list(party):
    _setup(party)
    tree = party.tree
    panel = party_panel(party.cast.street_admin, tree.community_a)
    figures = _figures(panel)
    assert figures["members"]["value"] == 2
    assert figures["meetings"]["value"] == 1
    assert f"within={tree.community_a.pk}" in figures["members"]["url"]
    assert figures["members"]["url"].startswith(reverse("partybuilding:members"))
    in_progress = _projects(panel)[ProjectStatus.IN_PROGRESS]["url"]
    assert "status=in_progress" in in_progress and f"within={tree.community_a.pk}" in in_progress


def test_a_dispatcher_sees_their_communitys_figures_only(party):
    _setup(party)
    panel = party_panel(party.cast.dispatcher_a, party.tree.street)
    figures = _figures(panel)
    assert figures["members"]["value"] == 2
    assert _projects(panel)[ProjectStatus.COMPLETED]["n"] == 0


def test_users_who_do_not_read_party_work_get_no_panel(party):
    worker = party.cast.worker_a
    assert party_panel(worker, party.tree.street) is None


def test_the_dashboard_shows_the_panel_with_working_links(client, party):
    _setup(party)
    leader = _with_role("viewer", party.tree.street, username="leader")
    client.force_login(leader)
    html = client.get(URL).content.decode()
    panel = html[html.index('data-panel="party"') :]
    members = re.search(
        r'data-party="members">\s*<span class="stat-value"><a href="([^"]+)">(\d+)<', panel
    )
    assert members and members.group(2) == "3"
    assert client.get(unescape(members.group(1))).status_code == 200
