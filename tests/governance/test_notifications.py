"""The notification centre: telling people once, the bell, reading, and outside channels."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from governance import notifications
from governance.models import Delivery, Notification
from tests.factories import UserFactory


@pytest.fixture
def people(db):
    return (
        UserFactory(username="zhang", email="zhang@example.cn"),
        UserFactory(username="li", email=""),
        UserFactory(username="wang", email="wang@example.cn"),
    )


def _tell(*users, key="", title="案件即将超时"):
    return notifications.notify(
        recipients=users, kind="case.near_due", title=title, url="/cases/1/", key=key
    )


def test_a_key_tells_each_person_once_however_often_it_runs(people):
    zhang, li, _wang = people

    first = _tell(zhang, li, zhang, key="reminder:1")
    again = _tell(zhang, li, key="reminder:1")

    assert len(first) == 2 and again == []
    assert Notification.objects.filter(key="reminder:1").count() == 2


def test_email_goes_out_once_to_people_with_an_address(
    people, django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    zhang, li, _wang = people
    with django_capture_on_commit_callbacks() as callbacks:
        _tell(zhang, li, key="reminder:2")

    assert callbacks  # deliveries are enqueued after the commit, not before
    delivery = Delivery.objects.get()  # li has no e-mail address
    assert (delivery.channel, delivery.address) == ("email", "zhang@example.cn")
    assert notifications.deliver_one(delivery_id=delivery.pk) == "sent"
    assert notifications.deliver_one(delivery_id=delivery.pk) == "sent"  # claimed: not again
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "案件即将超时"
    assert "/cases/1/" in mail.outbox[0].body


def test_a_channel_error_marks_the_delivery_failed(people, monkeypatch):
    zhang, _li, _wang = people
    _tell(zhang)

    def broken(notification, address):
        raise notifications.DeliveryError("SMTP 421 try again later")

    monkeypatch.setattr(notifications._channels["email"], "send", broken)
    delivery = Delivery.objects.get()

    assert notifications.deliver_one(delivery_id=delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert delivery.error == "SMTP 421 try again later"


def test_an_unknown_channel_in_settings_is_an_error(people, settings):
    settings.NOTIFICATION_CHANNELS = ["email", "wechat_work"]

    with pytest.raises(LookupError, match="wechat_work"):
        _tell(people[0])


def test_unread_count_and_marking_read_are_the_recipients_own(people):
    zhang, li, _wang = people
    mine = _tell(zhang, title="一")[0]
    _tell(zhang, title="二")
    theirs = _tell(li)[0]

    assert notifications.unread_count(zhang) == 2
    with pytest.raises(PermissionDenied):
        notifications.mark_read(user=zhang, notification_id=theirs.pk)
    notifications.mark_read(user=zhang, notification_id=mine.pk)
    assert notifications.unread_count(zhang) == 1
    assert notifications.mark_all_read(user=zhang) == 1
    assert notifications.unread_count(zhang) is None
    assert notifications.unread_count(li) == 1


def test_the_bell_shows_the_unread_count_in_the_header(client, people):
    zhang, _li, _wang = people
    _tell(zhang)
    _tell(zhang, title="第二条")
    client.force_login(zhang)

    page = client.get(reverse("notifications:list"))

    assert page.status_code == 200
    nav = next(item for item in page.context["nav_items"] if item["key"] == "notifications")
    assert nav["badge"] == 2
    assert "第二条" in page.content.decode()


def test_the_list_shows_only_my_notifications_with_few_queries(
    client, people, django_assert_max_num_queries
):
    zhang, li, _wang = people
    for i in range(40):
        _tell(zhang, title=f"我的{i}")
    _tell(li, title="别人的")
    client.force_login(zhang)

    with django_assert_max_num_queries(8):
        page = client.get(reverse("notifications:list"), {"show": "unread"})

    html = page.content.decode()
    assert "我的39" in html and "别人的" not in html
    assert page.context["page_obj"].paginator.count == 40


def test_opening_marks_read_and_follows_the_link_only_for_the_recipient(client, people):
    zhang, li, _wang = people
    notification = _tell(zhang)[0]

    client.force_login(li)
    assert client.post(reverse("notifications:open", args=[notification.pk])).status_code == 403
    client.force_login(zhang)
    response = client.post(reverse("notifications:open", args=[notification.pk]))

    assert response.status_code == 302 and response["Location"] == "/cases/1/"
    notification.refresh_from_db()
    assert notification.is_read


def test_mark_all_read_from_the_page(client, people):
    zhang, li, _wang = people
    _tell(zhang)
    _tell(li)
    client.force_login(zhang)

    response = client.post(reverse("notifications:read_all"))

    assert response.status_code == 302
    assert notifications.unread_count(zhang) is None
    assert notifications.unread_count(li) == 1
    assert client.get(reverse("notifications:read_all")).status_code == 405


# -- the API --------------------------------------------------------------------------------
def test_the_api_lists_only_my_notifications_with_few_queries(
    api, people, django_assert_max_num_queries
):
    zhang, li, _wang = people
    for i in range(30):
        _tell(zhang, title=f"我的{i}")
    _tell(li, title="别人的")
    notifications.mark_read(
        user=zhang, notification_id=Notification.objects.filter(title="我的0").get().pk
    )

    client = api(zhang)
    with django_assert_max_num_queries(3 + api.auth_queries):
        everything = client.get("/api/v1/notifications/")
    unread = client.get("/api/v1/notifications/", {"unread": "1"})

    assert everything.status_code == 200
    # Cursor pages of 50, newest first: all 30 on the first, no count taken.
    assert len(everything.json()["results"]) == 30 and len(unread.json()["results"]) == 29
    assert everything.json()["next"] is None
    titles = [n["title"] for n in everything.json()["results"]]
    assert "别人的" not in titles and titles[0] == "我的29"
    assert client.get("/api/v1/notifications/", {"unread": "maybe"}).status_code == 400
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 29}


def test_the_api_marks_read_only_the_callers_own(api, people):
    zhang, li, _wang = people
    client = api(zhang)
    mine = _tell(zhang)[0]
    _tell(zhang, title="第二条")
    theirs = _tell(li)[0]

    assert client.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    assert client.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
    read = client.post(f"/api/v1/notifications/{mine.pk}/read/")
    assert read.status_code == 200 and read.json()["is_read"] is True
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 1}
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert api(li).get("/api/v1/notifications/unread-count/").json() == {"unread": 1}
    assert client.get("/api/v1/notifications/read-all/").status_code == 405


# -- the admin ------------------------------------------------------------------------------
def _staff_with_view(user, *models):
    from django.contrib.auth.models import Permission

    user.is_staff = True
    user.save()
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="governance", codename__in=[f"view_{m}" for m in models]
        )
    )
    return user


def test_the_admin_lists_deliveries_with_failed_and_stuck_filters_without_n_plus_1(
    client, people, cast, django_assert_max_num_queries
):
    from datetime import timedelta

    from django.utils import timezone

    zhang, _li, wang = people
    for i in range(10):
        _tell(zhang, wang, title=f"消息{i}")
    old = timezone.now() - timedelta(hours=1)
    deliveries = list(Delivery.objects.order_by("pk"))
    Delivery.objects.filter(pk=deliveries[0].pk).update(status="failed", error="SMTP 550")
    Delivery.objects.filter(pk=deliveries[1].pk).update(status="sending", claimed_at=old)
    Delivery.objects.filter(pk=deliveries[2].pk).update(created_at=old)  # still pending
    client.force_login(cast.superuser)
    url = reverse("admin:governance_delivery_changelist")

    with django_assert_max_num_queries(12):
        everything = client.get(url)
    failed = client.get(url, {"problem": "failed"})
    stuck = client.get(url, {"problem": "stuck"})

    assert everything.status_code == 200
    assert everything.context["cl"].result_count == 20
    assert [d.pk for d in failed.context["cl"].result_list] == [deliveries[0].pk]
    assert sorted(d.pk for d in stuck.context["cl"].result_list) == sorted(
        [deliveries[1].pk, deliveries[2].pk]
    )
    assert "SMTP 550" in failed.content.decode()
    delivery = deliveries[0]
    change = client.get(reverse("admin:governance_delivery_change", args=[delivery.pk]))
    assert change.status_code == 200 and 'name="status"' not in change.content.decode()
    assert client.get(reverse("admin:governance_delivery_add")).status_code == 403


def test_the_notification_admin_is_read_only_scoped_and_without_n_plus_1(
    client, cast, django_assert_max_num_queries
):
    for user in (cast.dispatcher_a, cast.dispatcher_b):
        user.email = f"{user.username}@example.cn"
        user.save()
    for i in range(15):
        _tell(cast.dispatcher_a, title=f"青松{i}")
    _tell(cast.dispatcher_b, title="柳荫通知")
    admin_a = _staff_with_view(cast.admin_a, "notification", "delivery")
    client.force_login(admin_a)
    url = reverse("admin:governance_notification_changelist")

    with django_assert_max_num_queries(14):
        page = client.get(url)

    assert page.status_code == 200
    titles = {n.title for n in page.context["cl"].result_list}
    assert "青松0" in titles and "柳荫通知" not in titles
    theirs = Notification.objects.get(title="柳荫通知")
    mine = Notification.objects.filter(recipient=cast.dispatcher_a).first()
    assert (
        client.get(reverse("admin:governance_notification_change", args=[theirs.pk])).status_code
        == 302
    )
    view = client.get(reverse("admin:governance_notification_change", args=[mine.pk]))
    assert view.status_code == 200 and 'name="title"' not in view.content.decode()
    delivery_titles = {
        d.notification.title
        for d in client.get(reverse("admin:governance_delivery_changelist"))
        .context["cl"]
        .result_list
    }
    assert "青松0" in delivery_titles and "柳荫通知" not in delivery_titles
