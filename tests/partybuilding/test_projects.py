import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from partybuilding import selectors, services
from partybuilding.models import Meeting, MeetingSeries, Project, Resolution
from tests.partybuilding.factories import (
    DemandFactory,
    MeetingFactory,
    ProjectFactory,
    ResourceFactory,
)


def make(party, parent=None, weight=None, **kwargs):
    return services.project_save(
        actor=party.officer_a,
        project=Project(
            name=kwargs.pop("name", "子项目"),
            year=2026,
            area=party.tree.grid_a1,
            parent=parent,
            weight=weight,
            **kwargs,
        ),
    )


def progress_of(project):
    return Project.objects.get(pk=project.pk).progress


def test_a_parent_takes_the_average_of_its_children(party):
    parent = make(party, name="加装电梯")
    a, b = make(party, parent=parent, name="设计"), make(party, parent=parent, name="施工")
    services.project_set_status(
        actor=party.officer_a, project=a, status="completed", text="设计完成"
    )
    assert progress_of(parent) == 50
    services.project_set_status(
        actor=party.officer_a, project=b, status="in_progress", progress=60, text="施工过半"
    )
    assert progress_of(parent) == 80


def test_weights_decide_when_every_child_has_one(party):
    parent = make(party, name="老旧小区改造")
    a = make(party, parent=parent, weight=Decimal(1), name="外墙")
    b = make(party, parent=parent, weight=Decimal(3), name="管线")
    services.project_set_status(actor=party.officer_a, project=a, status="completed", text="完工")
    assert progress_of(parent) == 25
    services.project_set_status(
        actor=party.officer_a, project=b, status="acceptance", text="待验收"
    )
    # (100 × 1 + 90 × 3) / 4 = 92.5, rounded half up.
    assert progress_of(parent) == 93


def test_progress_rolls_up_through_every_level(party):
    top = make(party, name="社区更新")
    middle = make(party, parent=top, name="一期")
    leaf = make(party, parent=middle, name="一期·绿化")
    make(party, parent=top, name="二期")
    services.project_set_status(
        actor=party.officer_a, project=leaf, status="completed", text="完工"
    )
    assert progress_of(middle) == 100
    assert progress_of(top) == 50
    assert Project.check_tree() == []


def test_a_parents_progress_is_not_entered_by_hand(party):
    parent = make(party, name="口袋公园")
    make(party, parent=parent)
    with pytest.raises(ValidationError) as exc:
        services.project_set_status(
            actor=party.officer_a, project=parent, status="in_progress", progress=70, text="手填"
        )
    assert "progress" in exc.value.message_dict


def test_each_status_brings_its_default_progress_and_a_timeline_entry(party):
    project = make(party, name="充电桩安装")
    services.project_set_status(
        actor=party.officer_a, project=project, status="approved", text="立项"
    )
    assert progress_of(project) == 10
    assert project.updates.get().text == "立项"


def test_a_resolution_opens_one_project(party):
    meeting = MeetingFactory(area=party.tree.community_a)
    resolution = services.resolution_add(
        actor=party.officer_a, meeting=meeting, text="同意在3号楼加装电梯"
    )
    project = services.resolution_open_project(actor=party.officer_a, resolution=resolution)
    assert project.name == "同意在3号楼加装电梯"
    assert project.area == party.tree.community_a
    assert project.status == "approved" and project.progress == 10
    assert Resolution.objects.get(pk=resolution.pk).project == project
    with pytest.raises(ValidationError):
        services.resolution_open_project(actor=party.officer_a, resolution=resolution)
    assert Project.objects.count() == 1


def test_matching_a_demand_opens_a_project_with_its_resources(party):
    demand = DemandFactory(area=party.tree.grid_a1)
    near = ResourceFactory(area=party.tree.grid_a1, unit=party.unit_a)
    wider = ResourceFactory(area=party.tree.street, unit=party.unit_a)
    ResourceFactory(area=party.tree.grid_b1, unit=party.unit_b)
    ResourceFactory(area=party.tree.grid_a1, unit=party.unit_a, service_type="safety")
    suggestions = selectors.suggest_resources(party.officer_a, demand)
    assert [r.pk for r in suggestions] == [near.pk]
    suggestions = selectors.suggest_resources(party.cast.superuser, demand)
    assert [r.pk for r in suggestions] == [near.pk, wider.pk]
    project = services.demand_match(
        actor=party.officer_a, demand=demand, resources=[near], name="助餐服务"
    )
    demand.refresh_from_db()
    assert demand.status == "matched"
    assert list(project.resources.all()) == [near]
    assert list(project.units.all()) == [party.unit_a]
    with pytest.raises(ValidationError):
        services.demand_match(actor=party.officer_a, demand=demand, resources=[near], name="再来")


def test_a_series_generates_fixed_day_meetings_once(party):
    series = MeetingSeries.objects.create(
        title="民情恳谈日",
        kind="opinion_session",
        area=party.tree.community_a,
        days_of_month=[5, 15, 30],
        time=dt.time(9, 30),
        place="党群服务中心",
        starts_on=dt.date(2026, 1, 10),
    )
    created = services.series_generate(
        actor=party.officer_a, series=series, until=dt.date(2026, 3, 31)
    )
    days = sorted(m.starts_at.date() for m in Meeting.objects.filter(series=series))
    # January 15 and 30, February 5 and 15 (no 30th), March 5, 15 and 30.
    assert created == 7
    assert days[0] == dt.date(2026, 1, 15) and dt.date(2026, 2, 28) not in days
    assert (
        services.series_generate(actor=party.officer_a, series=series, until=dt.date(2026, 3, 31))
        == 0
    )


def test_a_series_refuses_impossible_days(party):
    series = MeetingSeries(
        title="错误",
        kind="council",
        area=party.tree.community_a,
        days_of_month=[0, 32],
        time=dt.time(9),
        place="会议室",
        starts_on=dt.date(2026, 1, 1),
    )
    with pytest.raises(ValidationError) as exc:
        services.record_save(actor=party.officer_a, obj=series)
    assert "days_of_month" in exc.value.message_dict


def test_a_sub_project_lies_in_its_parents_area(party):
    parent = ProjectFactory(area=party.tree.grid_a1)
    with pytest.raises(ValidationError):
        services.project_save(
            actor=party.cast.superuser,
            project=Project(name="越界", year=2026, area=party.tree.grid_b1, parent=parent),
        )
