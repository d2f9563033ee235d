"""The deputies' contact station: reception days, residents' opinions (masked), each turned
once into a demand, a case or a reply and linked both ways, the deputy's follow-up and yearly
summary, the public list of reception days; scope, the API and query counts."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from casework.models import Case, Source
from governance.models import PersonalDataAccess
from partybuilding import services
from partybuilding.models import ContactStation, Demand, Deputy, Opinion, Reception
from tests.conftest import _with_role
from tests.factories import UserFactory
from tests.partybuilding.conftest import STATION_PHONE as PHONE


def test_a_reception_takes_only_the_stations_deputies(station):
    outsider = Deputy.objects.create(
        name="外站代表",
        kind="npc",
        level="city",
        term="第十六届",
        term_start=dt.date(2023, 1, 1),
        area=station.tree.community_a,
    )
    with pytest.raises(ValidationError) as refused:
        services.reception_save(
            actor=station.officer_a,
            reception=Reception(
                station=station.station,
                day=timezone.localdate(),
                starts=dt.time(9),
                ends=dt.time(10),
            ),
            deputies=[outsider],
        )
    assert "deputies" in refused.value.message_dict
    assert Reception.objects.count() == 2


def test_an_opinion_is_heard_by_a_receiving_deputy_within_the_stations_area(station):
    other = services.reception_save(
        actor=station.officer_a,
        reception=Reception(
            station=station.station, day=timezone.localdate(), starts=dt.time(9), ends=dt.time(10)
        ),
        deputies=[station.member],
    )
    with pytest.raises(ValidationError) as refused:
        services.opinion_record(
            actor=station.cast.street_admin,
            reception=other,
            deputy=station.deputy,
            area=station.tree.grid_b1,
            resident_name="李四",
            content="意见",
        )
    assert {"deputy", "area"} <= set(refused.value.message_dict)
    assert Opinion.objects.count() == 1
    # The first opinion marks the reception as held.
    station.reception.refresh_from_db()
    assert station.reception.status == "held"


def test_it_becomes_a_case_once_linked_both_ways(station, in_english):
    case = services.opinion_to_case(
        actor=station.officer_a, opinion=station.opinion, category=station.category
    )
    assert (case.source, case.area, case.title) == (
        Source.STATION,
        station.tree.grid_a1,
        "3号楼北侧路灯坏了一个多月",
    )
    assert case.reporter_phone == PHONE
    assert case.station_opinion == station.opinion
    station.opinion.refresh_from_db()
    assert (station.opinion.outcome, station.opinion.case) == ("case", case)
    assert station.opinion.handled_by == station.officer_a
    assert station.opinion.follow_up == case.get_status_display()

    stale = Opinion.objects.get(pk=station.opinion.pk)
    stale.outcome = "pending"  # a page loaded before the first click
    with pytest.raises(ValidationError, match="handled already"):
        services.opinion_to_demand(actor=station.officer_a, opinion=stale, service_type="other")
    with pytest.raises(ValidationError, match="handled already"):
        services.opinion_reply(actor=station.officer_a, opinion=stale, reply="已答复")
    assert Case.objects.count() == 1
    station.opinion.refresh_from_db()
    assert station.opinion.demand is None and station.opinion.reply == ""


def test_it_becomes_a_demand_or_a_reply(station):
    demand = services.opinion_to_demand(
        actor=station.officer_a, opinion=station.opinion, service_type="environment"
    )
    assert (demand.source, demand.area, demand.raised_by) == (
        "station",
        station.tree.grid_a1,
        "张建国",
    )
    assert demand.station_opinion == station.opinion
    second = services.opinion_record(
        actor=station.officer_a,
        reception=station.reception,
        deputy=station.member,
        area=station.tree.community_a,
        resident_name="赵六",
        content="咨询加装电梯补贴",
    )
    with pytest.raises(ValidationError):
        services.opinion_reply(actor=station.officer_a, opinion=second, reply="  ")
    services.opinion_reply(actor=station.officer_a, opinion=second, reply="每台补贴24万元")
    second.refresh_from_db()
    assert (second.outcome, second.reply, second.follow_up) == ("reply", "每台补贴24万元", "已回复")


def test_another_communitys_officer_may_not_handle_it(station):
    with pytest.raises(PermissionDenied):
        services.opinion_reply(actor=station.officer_b, opinion=station.opinion, reply="越权")
    with pytest.raises(PermissionDenied):
        services.opinion_record(
            actor=station.officer_b,
            reception=station.reception,
            deputy=station.deputy,
            area=station.tree.grid_a1,
            resident_name="李四",
            content="意见",
        )
    station.opinion.refresh_from_db()
    assert station.opinion.is_pending


def test_pages_show_the_station_masked_and_in_scope(client, station, django_assert_max_num_queries):
    services.opinion_to_case(
        actor=station.officer_a, opinion=station.opinion, category=station.category
    )
    client.force_login(station.officer_a)
    with django_assert_max_num_queries(14):
        body = client.get("/party/stations/").content.decode()
    assert "青松社区代表联系站" in body and "张建国" in body
    with django_assert_max_num_queries(14):
        body = client.get(f"/party/stations/{station.station.pk}/").content.decode()
    assert "陈志华" in body
    with django_assert_max_num_queries(16):
        body = client.get(f"/party/receptions/{station.reception.pk}/").content.decode()
    assert "王**" in body and "王秀兰" not in body
    body = client.get(f"/party/opinions/{station.opinion.pk}/").content.decode()
    assert "139****2222" in body and PHONE not in body
    assert station.opinion.case.number in body

    client.force_login(station.officer_b)
    for url in (
        f"/party/stations/{station.station.pk}/",
        f"/party/receptions/{station.reception.pk}/",
        f"/party/opinions/{station.opinion.pk}/",
        f"/party/deputies/{station.deputy.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    assert "青松社区代表联系站" not in client.get("/party/stations/").content.decode()


def test_an_officer_records_and_handles_an_opinion_on_the_pages(client, station):
    client.force_login(station.officer_a)
    url = f"/party/receptions/{station.reception.pk}/"
    response = client.post(
        url,
        {
            "opinion-deputy": station.member.pk,
            "opinion-area": station.tree.grid_a2.pk,
            "opinion-resident_name": "赵六",
            "opinion-resident_phone": "not a phone",
            "opinion-content": "希望开设四点半课堂",
        },
    )
    assert response.status_code == 200 and Opinion.objects.count() == 1
    response = client.post(
        url,
        {
            "opinion-deputy": station.member.pk,
            "opinion-area": station.tree.grid_a2.pk,
            "opinion-resident_name": "赵六",
            "opinion-content": "希望开设四点半课堂",
        },
    )
    assert response.status_code == 302
    opinion = Opinion.objects.get(content="希望开设四点半课堂")
    page = f"/party/opinions/{opinion.pk}/"
    assert client.post(page, {"action": "demand", "demand-service_type": "nope"}).status_code == 200
    response = client.post(page, {"action": "demand", "demand-service_type": "child_care"})
    assert response.status_code == 302
    opinion.refresh_from_db()
    assert opinion.outcome == "demand" and opinion.demand.title == "希望开设四点半课堂"
    # Handled: no more forms, and a post is refused.
    assert client.post(page, {"action": "reply", "reply-reply": "x"}).status_code == 403


def test_the_full_phone_is_a_logged_reveal(client, station):
    client.force_login(station.officer_a)
    url = f"/party/opinions/{station.opinion.pk}/reveal/"
    assert client.post(url, {"reason": ""}).status_code == 200
    assert not PersonalDataAccess.objects.exists()
    body = client.post(url, {"reason": "回访居民"}).content.decode()
    assert PHONE in body and "王秀兰" in body
    assert PersonalDataAccess.objects.count() == 2
    client.force_login(station.cast.viewer_a)
    assert client.get(url).status_code == 403


def test_the_deputy_follows_up_and_prints_a_yearly_summary(
    client, station, django_assert_max_num_queries
):
    case = services.opinion_to_case(
        actor=station.officer_a, opinion=station.opinion, category=station.category
    )
    for i in range(5):
        o = services.opinion_record(
            actor=station.officer_a,
            reception=station.reception,
            deputy=station.deputy,
            area=station.tree.grid_a1,
            resident_name=f"居民{i}",
            content=f"意见{i}",
        )
        services.opinion_to_demand(actor=station.officer_a, opinion=o, service_type="other")
    client.force_login(station.deputy_user)
    assert client.get("/party/deputies/me/").url == f"/party/deputies/{station.deputy.pk}/"
    with django_assert_max_num_queries(12):
        body = client.get(f"/party/deputies/{station.deputy.pk}/").content.decode()
    assert case.number in body and case.get_status_display() in body
    assert "王秀兰" not in body
    year = station.reception.day.year
    with django_assert_max_num_queries(12):
        body = client.get(
            f"/party/deputies/{station.deputy.pk}/summary/?year={year}"
        ).content.decode()
    assert "6" in body and "意见3" in body
    assert client.get(f"/party/deputies/{station.deputy.pk}/summary/?year=x").status_code == 404
    # Another deputy's page is not theirs.
    assert client.get(f"/party/deputies/{station.member.pk}/").status_code == 404
    assert client.get("/party/stations/").status_code == 403


def test_residents_see_upcoming_reception_days_without_signing_in(client, station):
    body = client.get("/party/reception-days/").content.decode()
    assert "青松社区代表联系站" in body and "14:00–16:00" in body
    assert "民生实事征集" not in body  # yesterday's is past
    ContactStation.objects.update(is_public=False)
    assert "青松社区代表联系站" not in client.get("/party/reception-days/").content.decode()


def test_the_api_masks_and_turns_opinions(api, station, django_assert_max_num_queries):
    client = api(station.officer_a)
    with django_assert_max_num_queries(6 + api.auth_queries):
        listed = client.get("/api/v1/party/opinions/").json()
    row = listed["results"][0]
    assert (row["resident_name"], row["resident_phone"]) == ("王**", "139****2222")
    assert api(station.officer_b).get("/api/v1/party/opinions/").json()["count"] == 0
    url = f"/api/v1/party/opinions/{station.opinion.pk}/"
    assert client.patch(url, {"outcome": "reply"}, format="json").status_code == 405
    assert client.post(f"{url}to-case/", {"category": "x"}, format="json").status_code == 400
    response = client.post(f"{url}to-case/", {"category": station.category.pk}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["outcome"] == "case" and response.json()["case_number"]
    again = client.post(f"{url}reply/", {"reply": "已答复"}, format="json")
    assert again.status_code == 400
    created = client.post(
        "/api/v1/party/opinions/",
        {
            "reception": station.reception.pk,
            "deputy": station.member.pk,
            "area": station.tree.grid_a1.pk,
            "resident_name": "刘五",
            "resident_phone": "13800001111",
            "content": "增加健身器材",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["resident_phone"] == "138****1111"
    with django_assert_max_num_queries(8 + api.auth_queries):
        assert client.get("/api/v1/party/receptions/").json()["count"] == 2
    assert client.get("/api/v1/party/deputies/").json()["count"] == 2
    assert api(station.officer_b).get("/api/v1/party/contact-stations/").json()["count"] == 0


def test_a_streets_station_serves_its_communities(client, station):
    """Community officers see the street's station, its deputies and reception days, and
    handle the opinions about their own community; the station's staff keep the station."""
    tree = station.tree
    street_officer = _with_role("party_officer", tree.street, username="officer_street")
    street_station = services.record_save(
        actor=street_officer, obj=ContactStation(name="街道代表联系站", area=tree.street)
    )
    services.deputy_save(actor=street_officer, deputy=station.member, stations=[street_station])
    reception = services.reception_save(
        actor=street_officer,
        reception=Reception(
            station=street_station, day=timezone.localdate(), starts=dt.time(9), ends=dt.time(11)
        ),
        deputies=[station.member],
    )
    about_a, about_b = (
        services.opinion_record(
            actor=street_officer,
            reception=reception,
            deputy=station.member,
            area=area,
            resident_name="居民",
            content=f"关于{area.name}的意见",
        )
        for area in (tree.grid_a1, tree.grid_b1)
    )
    client.force_login(station.officer_a)
    assert client.get(f"/party/stations/{street_station.pk}/").status_code == 200
    page = client.get(f"/party/receptions/{reception.pk}/")
    assert page.status_code == 200 and page.context["form"] is None
    assert client.get(f"/party/stations/{street_station.pk}/edit/").status_code == 403
    assert client.get(f"/party/opinions/{about_b.pk}/").status_code == 404
    services.opinion_reply(actor=station.officer_a, opinion=about_a, reply="已答复居民")
    with pytest.raises(PermissionDenied):
        services.opinion_reply(actor=station.officer_a, opinion=about_b, reply="越权")


def test_a_cancelled_reception_takes_no_opinions_and_moves_by_its_steps(station, in_english):
    services.reception_set_status(
        actor=station.officer_a, reception=station.upcoming, status="cancelled"
    )
    with pytest.raises(ValidationError, match="cancelled"):
        services.opinion_record(
            actor=station.officer_a,
            reception=station.upcoming,
            deputy=station.deputy,
            area=station.tree.grid_a1,
            resident_name="李四",
            content="意见",
        )
    with pytest.raises(ValidationError):
        services.reception_set_status(
            actor=station.officer_a, reception=station.reception, status="scheduled"
        )
    station.upcoming.status = "held"  # an edit does not move the status
    with pytest.raises(ValidationError):
        services.reception_save(
            actor=station.officer_a, reception=station.upcoming, deputies=[station.deputy]
        )
    services.reception_save(
        actor=station.officer_a,
        reception=Reception.objects.get(pk=station.upcoming.pk),
        deputies=[station.deputy],
        status="scheduled",
    )
    assert Reception.objects.get(pk=station.upcoming.pk).status == "scheduled"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_turning_one_opinion_at_once_one_wins(station):
    barrier = threading.Barrier(2)
    results: list[str] = []

    def attempt(turn):
        try:
            opinion = Opinion.objects.get(pk=station.opinion.pk)
            barrier.wait(timeout=60)
            turn(opinion)
            results.append("won")
        except ValidationError:
            results.append("lost")
        finally:
            connection.close()

    turns = [
        lambda o: services.opinion_to_case(
            actor=station.officer_a, opinion=o, category=station.category
        ),
        lambda o: services.opinion_to_demand(
            actor=station.officer_a, opinion=o, service_type="other"
        ),
    ]
    threads = [threading.Thread(target=attempt, args=(t,)) for t in turns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(results) == ["lost", "won"]
    station.opinion.refresh_from_db()
    # Exactly one outcome, and nothing of the loser's written.
    assert Case.objects.count() + Demand.objects.count() == 1
    assert (station.opinion.case_id is None) != (station.opinion.demand_id is None)


def test_the_api_reveals_an_opinions_resident_with_a_reason(api, station):
    url = f"/api/v1/party/opinions/{station.opinion.pk}/reveal/"
    client = api(station.officer_a)
    no_reason = client.post(url, {"field": "resident_phone", "reason": " "}, format="json")
    assert no_reason.status_code == 400
    assert client.post(url, {"field": "content", "reason": "x"}, format="json").status_code == 400
    assert not PersonalDataAccess.objects.exists()
    response = client.post(url, {"field": "resident_phone", "reason": "回访居民"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"field": "resident_phone", "value": PHONE}
    name = client.post(url, {"field": "resident_name", "reason": "回访居民"}, format="json")
    assert name.json()["value"] == "王秀兰"
    logged = PersonalDataAccess.objects.order_by("pk")
    assert [(a.field, a.interface, a.user_id) for a in logged] == [
        ("resident_phone", "api", station.officer_a.pk),
        ("resident_name", "api", station.officer_a.pk),
    ]
    reveal = {"field": "resident_phone", "reason": "查看"}
    # A reader in scope who may not reveal; another community's officer does not see it.
    assert api(station.cast.viewer_a).post(url, reveal, format="json").status_code == 403
    assert api(station.officer_b).post(url, reveal, format="json").status_code == 404
    assert api(station.deputy_user).post(url, reveal, format="json").status_code == 404
    assert PersonalDataAccess.objects.count() == 2


def _account(username, area, **kwargs):
    return UserFactory(username=username, home_area=area, **kwargs)


def test_an_officer_links_a_deputys_account_in_scope_on_the_page(client, station):
    tree = station.tree
    resident_a = _account("resident_a", tree.grid_a1)
    resident_b = _account("resident_b", tree.grid_b1)
    worker_a = _with_role("grid_worker", tree.grid_a2, username="worker_a")
    worker_b = _with_role("grid_worker", tree.grid_b1, username="worker_b")
    client.force_login(station.officer_a)
    url = f"/party/deputies/{station.member.pk}/edit/"
    form = client.get(url).context["form"]
    choices = set(form.fields["user"].queryset)
    assert {resident_a, worker_a} <= choices
    # Outside the scope, already another deputy's, or a colleague with a role elsewhere: not offered.
    assert not choices & {resident_b, worker_b, station.deputy_user, station.officer_b}
    data = {
        "name": "陈志华",
        "kind": "cppcc",
        "level": "district",
        "term": "第十五届",
        "term_start": "2021-12-01",
        "area": tree.community_a.pk,
        "stations": [station.station.pk],
    }
    for outsider in (resident_b, station.deputy_user):
        response = client.post(url, {**data, "user": outsider.pk})
        assert response.status_code == 200
        assert "user" in response.context["form"].errors
    station.member.refresh_from_db()
    assert station.member.user is None
    assert client.post(url, {**data, "user": resident_a.pk}).status_code == 302
    station.member.refresh_from_db()
    assert station.member.user == resident_a
    client.force_login(resident_a)
    assert client.get("/party/deputies/me/").url == f"/party/deputies/{station.member.pk}/"
    client.force_login(station.officer_a)
    assert client.post(url, {**data, "user": ""}).status_code == 302
    station.member.refresh_from_db()
    assert station.member.user is None
    # Another community's officer may not edit the deputy at all.
    client.force_login(station.officer_b)
    assert client.post(url, {**data, "user": resident_b.pk}).status_code in (403, 404)
    station.member.refresh_from_db()
    assert station.member.user is None


def test_the_api_links_a_deputys_account_in_scope(api, station, in_english):
    tree = station.tree
    resident_a = _account("resident_a", tree.grid_a1)
    resident_b = _account("resident_b", tree.grid_b1)
    client = api(station.officer_a)
    url = f"/api/v1/party/deputies/{station.member.pk}/"
    refused = client.patch(url, {"user": resident_b.pk}, format="json")
    assert refused.status_code == 400 and "user" in refused.json()["fields"], refused.content
    taken = client.patch(url, {"user": station.deputy_user.pk}, format="json")
    assert taken.status_code == 400 and "user" in taken.json()["fields"]
    assert client.patch(url, {"user": "x"}, format="json").status_code == 400
    linked = client.patch(url, {"user": resident_a.pk}, format="json")
    assert linked.status_code == 200, linked.content
    assert linked.json()["user"] == resident_a.pk
    # The current account may stay as it is while other fields change.
    kept = client.patch(url, {"work_unit": "区人大", "user": resident_a.pk}, format="json")
    assert kept.status_code == 200, kept.content
    unlinked = client.patch(url, {"user": None}, format="json")
    assert unlinked.status_code == 200 and unlinked.json()["user"] is None
    assert (
        api(station.officer_b).patch(url, {"user": resident_b.pk}, format="json").status_code == 404
    )
    station.member.refresh_from_db()
    assert station.member.user is None


def test_the_service_refuses_an_account_outside_the_scope(station):
    outsider = _account("resident_b", station.tree.grid_b1)
    station.member.user = outsider
    with pytest.raises(ValidationError) as exc:
        services.deputy_save(actor=station.officer_a, deputy=station.member, stations=[])
    assert "user" in exc.value.message_dict
    station.member.refresh_from_db()
    assert station.member.user is None
    # A deputy's account linked by a superuser elsewhere stays when an officer edits the deputy.
    Deputy.objects.filter(pk=station.member.pk).update(user=outsider)
    station.member.refresh_from_db()
    services.deputy_save(actor=station.officer_a, deputy=station.member, stations=[station.station])
    assert Deputy.objects.get(pk=station.member.pk).user == outsider
