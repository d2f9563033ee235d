import datetime as dt
import re
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from partybuilding import selectors, services
from partybuilding.models import Participation, PointEntry, Redemption, Reward
from tests.partybuilding.factories import ActivityFactory, RewardFactory, VolunteerFactory, credit


@pytest.fixture
def activity(party):
    return ActivityFactory(area=party.tree.community_a, organizer=party.officer_a, capacity=2)


@pytest.fixture
def volunteer(party):
    return VolunteerFactory(area=party.tree.building_a1, member=party.member_a)


def serve(party, activity, volunteer, minutes=90):
    p = services.activity_sign_up(actor=party.officer_a, activity=activity, volunteer=volunteer)
    p = services.participation_check_in(
        actor=party.officer_a, participation=p, at=activity.starts_at
    )
    return services.participation_check_out(
        actor=party.officer_a,
        participation=p,
        at=activity.starts_at + dt.timedelta(minutes=minutes),
    )


def test_check_in_and_out_compute_the_hours_served(party, activity, volunteer):
    p = serve(party, activity, volunteer, minutes=90)
    assert p.status == "checked_out" and p.hours == Decimal("1.50")


def test_hours_count_only_within_the_activity(party, activity, volunteer):
    p = serve(party, activity, volunteer, minutes=300)
    assert p.hours == Decimal("2.00")


def test_approval_pays_points_once(party, activity, volunteer):
    p = serve(party, activity, volunteer, minutes=90)
    services.participation_approve(actor=party.officer_a, participation=p)
    assert selectors.points_balance(volunteer) == 15
    with pytest.raises(ValidationError):
        services.participation_approve(actor=party.officer_a, participation=p)
    # Even a direct second booking for the same source is refused by the database.
    with pytest.raises(ValidationError):
        services.points_credit(
            actor=party.officer_a,
            volunteer=volunteer,
            amount=15,
            reason="重复",
            source_key=f"participation:{p.pk}",
        )
    assert PointEntry.objects.filter(volunteer=volunteer).count() == 1
    assert selectors.points_balance(volunteer) == 15


def test_only_the_organizer_approves(party, activity, volunteer):
    p = serve(party, activity, volunteer)
    with pytest.raises(PermissionDenied):
        services.participation_approve(actor=party.cast.street_admin, participation=p)


def test_the_ledger_is_append_only(party, volunteer):
    entry = credit(volunteer, 10, "manual:1")
    entry.amount = 1000
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


def test_capacity_is_respected(party, activity):
    for _ in range(2):
        services.activity_sign_up(
            actor=party.officer_a,
            activity=activity,
            volunteer=VolunteerFactory(area=party.tree.building_a1),
        )
    with pytest.raises(ValidationError):
        services.activity_sign_up(
            actor=party.officer_a,
            activity=activity,
            volunteer=VolunteerFactory(area=party.tree.building_a1),
        )
    assert Participation.objects.filter(activity=activity).count() == 2


def test_a_volunteer_checks_in_themselves_but_not_others(party, activity, cast):
    own = VolunteerFactory(area=party.tree.building_a1, user=cast.nobody)
    other = VolunteerFactory(area=party.tree.building_a1)
    p = services.activity_sign_up(actor=cast.nobody, activity=activity, volunteer=own)
    services.participation_check_in(actor=cast.nobody, participation=p)
    with pytest.raises(PermissionDenied):
        services.activity_sign_up(actor=cast.nobody, activity=activity, volunteer=other)


def test_redemption_checks_balance_and_stock(party, volunteer):
    reward = RewardFactory(area=party.tree.street, cost=50, stock=1)
    credit(volunteer, 40, "manual:1")
    with pytest.raises(ValidationError):
        services.reward_redeem(actor=party.officer_a, volunteer=volunteer, reward=reward)
    credit(volunteer, 70, "manual:2")
    services.reward_redeem(actor=party.officer_a, volunteer=volunteer, reward=reward)
    assert selectors.points_balance(volunteer) == 60
    reward.refresh_from_db()
    assert reward.stock == 0
    with pytest.raises(ValidationError):
        services.reward_redeem(actor=party.officer_a, volunteer=volunteer, reward=reward)
    assert Redemption.objects.count() == 1
    reasons = list(selectors.ledger_for(volunteer).values_list("amount", flat=True))
    assert reasons == [-50, 70, 40]


def test_expired_points_cannot_be_spent(party, volunteer):
    today = timezone.localdate()
    credit(volunteer, 30, "old", expires_on=today - dt.timedelta(days=1))
    credit(volunteer, 20, "new")
    assert selectors.points_balance(volunteer) == 20
    assert selectors.points_balance(volunteer, today=today - dt.timedelta(days=2)) == 50


def test_spending_uses_the_points_that_expire_first(party, volunteer):
    today = timezone.localdate()
    credit(volunteer, 20, "forever")
    credit(volunteer, 30, "soon", expires_on=today + dt.timedelta(days=10))
    PointEntry.objects.create(volunteer=volunteer, amount=-30, reason="兑换", source_key="spend")
    assert selectors.points_balance(volunteer) == 20
    assert selectors.points_balance(volunteer, today=today + dt.timedelta(days=30)) == 20


def test_a_debit_cannot_take_the_balance_below_zero(party, volunteer):
    credit(volunteer, 10, "manual:1")
    with pytest.raises(ValidationError):
        services.points_adjust(
            actor=party.officer_a, volunteer=volunteer, amount=-11, reason="更正"
        )
    services.points_adjust(actor=party.officer_a, volunteer=volunteer, amount=-10, reason="更正")
    assert selectors.points_balance(volunteer) == 0


def test_the_leaderboard_ranks_earned_points_in_the_area(party, volunteer):
    other = VolunteerFactory(area=party.tree.building_b1)
    credit(volunteer, 30, "a")
    credit(other, 50, "b")
    today = timezone.localdate()
    board = selectors.leaderboard(
        party.cast.superuser, area=party.tree.street, since=today, until=today
    )
    assert [r["points"] for r in board] == [50, 30]
    board = selectors.leaderboard(
        party.cast.superuser, area=party.tree.community_a, since=today, until=today
    )
    assert [r["volunteer_id"] for r in board] == [volunteer.pk]
    assert [
        r["volunteer_id"]
        for r in selectors.leaderboard(party.officer_b, area=None, since=today, until=today)
    ] == [other.pk]


def _race(n, fn):
    barrier = threading.Barrier(n)
    results: list[str] = []

    def run(i):
        try:
            barrier.wait()
            fn(i)
            results.append("ok")
        except ValidationError:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(results)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_redemptions_never_overdraw(party):
    volunteer = VolunteerFactory(area=party.tree.building_a1)
    credit(volunteer, 120, "manual:1")
    reward = RewardFactory(area=party.tree.street, cost=50, stock=10)
    results = _race(
        4,
        lambda i: services.reward_redeem(actor=party.officer_a, volunteer=volunteer, reward=reward),
    )
    assert results == ["ok", "ok", "refused", "refused"]
    assert selectors.points_balance(volunteer) == 20
    assert Reward.objects.get(pk=reward.pk).stock == 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_redemptions_never_exceed_the_stock(party):
    volunteers = [VolunteerFactory(area=party.tree.building_a1) for _ in range(4)]
    for i, v in enumerate(volunteers):
        credit(v, 100, f"manual:{i}")
    reward = RewardFactory(area=party.tree.street, cost=50, stock=1)
    results = _race(
        4,
        lambda i: services.reward_redeem(
            actor=party.officer_a, volunteer=volunteers[i], reward=reward
        ),
    )
    assert results == ["ok", "refused", "refused", "refused"]
    assert Reward.objects.get(pk=reward.pk).stock == 0
    assert Redemption.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_approvals_pay_once(party):
    activity = ActivityFactory(area=party.tree.community_a, organizer=party.officer_a)
    volunteer = VolunteerFactory(area=party.tree.building_a1)
    p = serve(party, activity, volunteer)
    results = _race(
        3,
        lambda i: services.participation_approve(
            actor=party.officer_a, participation=Participation.objects.get(pk=p.pk)
        ),
    )
    assert results == ["ok", "refused", "refused"]
    assert PointEntry.objects.filter(volunteer=volunteer).count() == 1


def test_the_activity_page_offers_each_sign_up_its_next_step(client, party, activity):
    waiting, inside = (
        VolunteerFactory(area=party.tree.building_a1, name="王建国"),
        VolunteerFactory(area=party.tree.building_a1, name="李秀英"),
    )
    for volunteer in (waiting, inside):
        services.activity_sign_up(actor=party.officer_a, activity=activity, volunteer=volunteer)
    services.participation_check_in(
        actor=party.officer_a, participation=Participation.objects.get(volunteer=inside)
    )
    client.force_login(party.officer_a)
    table = client.get(f"/party/activities/{activity.pk}/").content.decode().split("<tbody>")[1]
    rows = table.split("<tr>")
    offered = {
        name: set(re.findall(r'name="action" value="(\w+)"', next(r for r in rows if name in r)))
        for name in ("王建国", "李秀英")
    }
    assert offered == {"王建国": {"check_in"}, "李秀英": {"check_out"}}


def test_the_reward_list_offers_no_dashes(party, tree):
    from partybuilding.forms.volunteers import RedeemForm
    from tests.partybuilding.factories import RewardFactory, VolunteerFactory

    RewardFactory(area=tree.community_a, name="爱心理发券")
    volunteer = VolunteerFactory(area=tree.building_a1)
    form = RedeemForm(user=party.officer_a, volunteer=volunteer)
    labels = [label for _, label in form.fields["reward"].choices]
    assert "爱心理发券" in "".join(str(label) for label in labels)
    assert not any("----" in str(label) for label in labels)
