from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from partybuilding import models as m


def _ago_this_year(delta: dt.timedelta):
    """``delta`` ago, but not before this year began (Asia/Shanghai): what a test makes as
    "just held" is among this year's on New Year's Day too. Made "yesterday", a meeting was
    last year's on 1 January (from 16:00 UTC the day before), and the dashboard's panel and the
    units' points, which count the year's, missed it."""
    now = timezone.now()
    new_year = timezone.localtime(now).replace(
        month=1, day=1, hour=0, minute=0, second=0, microsecond=0
    )
    return max(now - delta, new_year)


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = m.PartyOrganization

    kind = m.OrganizationKind.BRANCH
    name = factory.Sequence(lambda n: f"党组织{n}")


class MemberFactory(DjangoModelFactory):
    class Meta:
        model = m.PartyMember

    name = factory.Sequence(lambda n: f"党员{n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    join_date = dt.date(2005, 7, 1)
    in_service = True
    work_unit = "区教委"


class UnitFactory(DjangoModelFactory):
    class Meta:
        model = m.CoConstructionUnit

    name = factory.Sequence(lambda n: f"共建单位{n}")
    kind = m.UnitKind.SCHOOL
    contact_name = "张老师"
    contact_phone = "13700000000"


class ProjectFactory(DjangoModelFactory):
    class Meta:
        model = m.Project

    name = factory.Sequence(lambda n: f"项目{n}")
    year = 2026


class WishFactory(DjangoModelFactory):
    class Meta:
        model = m.MicroWish

    title = "一副老花镜"
    resident_name = "王秀兰"
    resident_phone = "13600000000"


class VolunteerFactory(DjangoModelFactory):
    class Meta:
        model = m.Volunteer

    name = factory.Sequence(lambda n: f"志愿者{n}")
    phone = "13500000000"


class ActivityFactory(DjangoModelFactory):
    class Meta:
        model = m.Activity

    title = factory.Sequence(lambda n: f"活动{n}")
    service_type = "environment"
    place = "党群服务中心"
    starts_at = factory.LazyFunction(lambda: _ago_this_year(dt.timedelta(minutes=30)))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=2))
    capacity = 10
    points_per_hour = 10


class RewardFactory(DjangoModelFactory):
    class Meta:
        model = m.Reward

    name = factory.Sequence(lambda n: f"礼品{n}")
    cost = 50
    stock = 5


class DemandFactory(DjangoModelFactory):
    class Meta:
        model = m.Demand

    title = factory.Sequence(lambda n: f"需求{n}")
    service_type = "elderly_care"
    source = "resident"


class ResourceFactory(DjangoModelFactory):
    class Meta:
        model = m.Resource

    title = factory.Sequence(lambda n: f"资源{n}")
    kind = "service"
    service_type = "elderly_care"


class MeetingFactory(DjangoModelFactory):
    class Meta:
        model = m.Meeting

    title = factory.Sequence(lambda n: f"议事会{n}")
    kind = "council"
    starts_at = factory.LazyFunction(lambda: _ago_this_year(dt.timedelta(days=1)))


def credit(volunteer, amount, key, expires_on=None):
    return m.PointEntry.objects.create(
        volunteer=volunteer, amount=amount, reason="测试", source_key=key, expires_on=expires_on
    )
