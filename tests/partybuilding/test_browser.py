"""The party officer's and the volunteer's day in Chromium: a dual report, a micro-wish from
publication to fulfilment, and a volunteer who checks in, checks out and redeems points."""

import datetime as dt

import pytest
from django.utils import timezone
from PIL import Image

from partybuilding.models import DualReport, MicroWish, Participation, Redemption
from tests.factories import UserFactory
from tests.partybuilding.factories import ActivityFactory, RewardFactory, VolunteerFactory, credit

PASSWORD = "pass-word-123"
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}


def sign_in(browser, live_server, username, size):
    width, height = SIZES[size]
    page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state()
    return page


def shoot(page, artifacts_dir, name):
    page.screenshot(path=str(artifacts_dir / f"partybuilding-{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_officer_and_volunteer_journey(
    browser, live_server, party, artifacts_dir, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    officer = party.officer_a

    # 1. The officer registers a member's dual report and activates it.
    page = sign_in(browser, live_server, officer.username, "desktop")
    assert "/party/" in page.url  # the party officer's start page
    page.goto(f"{live_server.url}/party/dual-reports/new/")
    page.select_option("select[name=kind]", "personal")
    page.select_option("select[name=community]", str(party.tree.community_a.pk))
    page.select_option("select[name=member]", str(party.member_a.pk))
    page.select_option("select[name=service_post]", "elderly_care")
    page.fill("textarea[name=pledges]", "每月看望独居老人两次")
    page.fill("input[name=yearly_target]", "12")
    page.click("form button.btn-primary")
    page.wait_for_load_state()
    report = DualReport.objects.get(member=party.member_a)
    assert page.url.endswith(f"/party/dual-reports/{report.pk}/")
    page.click("button[value=activate]")
    page.wait_for_load_state()
    report.refresh_from_db()
    assert report.status == "active"
    shoot(page, artifacts_dir, "dual-report-desktop")

    # 2. A resident's micro-wish is published, claimed and fulfilled with a photo.
    page.goto(f"{live_server.url}/party/wishes/new/")
    page.fill("input[name=title]", "想要一副老花镜")
    page.fill("input[name=resident_name]", "王秀兰")
    page.fill("input[name=resident_phone]", "13600001111")
    page.select_option("select[name=area]", str(party.tree.building_a1.pk))
    page.click("form button.btn-primary")
    page.wait_for_load_state()
    wish = MicroWish.objects.get(title="想要一副老花镜")
    page.click(f"a[href*='claim={wish.pk}']")
    page.select_option("#claim select[name=member]", str(party.member_a.pk))
    page.click("#claim button.btn-primary")
    page.wait_for_load_state()
    wish.refresh_from_db()
    assert wish.status == "claimed" and wish.claimed_by_member == party.member_a
    photo = tmp_path / "glasses.png"
    Image.new("RGB", (120, 80), (200, 60, 50)).save(photo)
    card = page.locator("article.pb-wish", has_text="想要一副老花镜")
    card.locator("input[name=note]").fill("李建国送来老花镜")
    card.locator("input[name=photo]").set_input_files(str(photo))
    card.locator("button[value=fulfil]").click()
    page.wait_for_load_state()
    wish.refresh_from_db()
    assert wish.status == "fulfilled" and wish.photo
    page.goto(f"{live_server.url}/party/wishes/?status=fulfilled")
    shoot(page, artifacts_dir, "wishes-desktop")
    page.close()

    phone = sign_in(browser, live_server, officer.username, "phone")
    phone.goto(f"{live_server.url}/party/dual-reports/{report.pk}/")
    shoot(phone, artifacts_dir, "dual-report-phone")
    phone.goto(f"{live_server.url}/party/wishes/")
    shoot(phone, artifacts_dir, "wishes-phone")
    phone.close()

    # 3. A volunteer signs up, checks in and out; the organizer approves; the volunteer redeems.
    resident = UserFactory(username="volunteer_a")
    volunteer = VolunteerFactory(area=party.tree.building_a1, user=resident, name="孙桂英")
    credit(volunteer, 40, "welcome")
    now = timezone.now()
    activity = ActivityFactory(
        title="楼道清洁日",
        area=party.tree.community_a,
        organizer=officer,
        starts_at=now - dt.timedelta(hours=3),
        ends_at=now + dt.timedelta(hours=1),
    )
    reward = RewardFactory(name="理发券", area=party.tree.street, cost=50, stock=3)
    page = sign_in(browser, live_server, resident.username, "phone")
    page.goto(f"{live_server.url}/party/me/")
    page.locator("li", has_text="楼道清洁日").locator("button[value=sign_up]").click()
    page.wait_for_load_state()
    page.click("button[value=check_in]")
    page.wait_for_load_state()
    participation = Participation.objects.get(volunteer=volunteer, activity=activity)
    assert participation.status == "checked_in"
    # Two hours of work pass.
    Participation.objects.filter(pk=participation.pk).update(
        checked_in_at=now - dt.timedelta(hours=2)
    )
    page.click("button[value=check_out]")
    page.wait_for_load_state()
    participation.refresh_from_db()
    assert participation.status == "checked_out" and participation.hours >= 2

    organizer = sign_in(browser, live_server, officer.username, "desktop")
    organizer.goto(f"{live_server.url}/party/activities/{activity.pk}/")
    organizer.click("button[value=approve]")
    organizer.wait_for_load_state()
    shoot(organizer, artifacts_dir, "activity-desktop")
    organizer.close()

    page.goto(f"{live_server.url}/party/me/")
    assert page.inner_text("[data-testid=balance]").strip() == "60"
    page.select_option("select[name=reward]", str(reward.pk))
    page.click("form button.btn-primary")
    page.wait_for_load_state()
    assert page.inner_text("[data-testid=balance]").strip() == "10"
    assert Redemption.objects.filter(volunteer=volunteer, reward=reward).count() == 1
    assert "理发券" in page.inner_text(".pb-ledger")
    shoot(page, artifacts_dir, "points-phone")
    page.set_viewport_size({"width": 1366, "height": 900})
    shoot(page, artifacts_dir, "points-desktop")
    page.close()
