"""The reveal of a member's phone and the access log in Chromium, on a desktop and a phone."""

import pytest

from governance.models import PersonalDataAccess
from tests.partybuilding.test_browser import SIZES, shoot, sign_in


def _fits(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def _reveal(page, href: str, reason: str) -> None:
    """Follow the link to a reveal page, give the reason and send it."""
    page.click(f"a[href='{href}']")
    page.wait_for_load_state()
    page.fill("input[name=reason]", reason)
    page.click("form button.btn-primary")
    page.wait_for_load_state()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", list(SIZES))
def test_an_officer_reveals_a_phone_and_the_admin_finds_the_read(
    browser, live_server, party, artifacts_dir, size
):
    page = sign_in(browser, live_server, party.officer_a.username, size)
    page.goto(f"{live_server.url}/party/members/")
    assert "139****5678" in page.content() and "13912345678" not in page.content()
    assert _fits(page)
    shoot(page, artifacts_dir, f"members-masked-{size}")
    _reveal(page, f"/party/members/{party.member_a.pk}/reveal/", "走访联系")
    assert "13912345678" in page.content()
    assert _fits(page)
    shoot(page, artifacts_dir, f"member-revealed-{size}")
    assert PersonalDataAccess.objects.filter(reason="走访联系", interface="web").exists()
    page.close()

    page = sign_in(browser, live_server, party.cast.street_admin.username, size)
    page.goto(f"{live_server.url}/access-log/")
    assert "李建国" in page.content() and "走访联系" in page.content()
    assert _fits(page)
    shoot(page, artifacts_dir, f"access-log-{size}")
    page.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", list(SIZES))
def test_a_dispatcher_reveals_a_case_reporter_and_an_officer_a_unit_phone(
    browser, live_server, party, artifacts_dir, size
):
    from tests.casework.factories import CaseFactory, CategoryFactory
    from tests.factories import RoleAssignmentFactory, UserFactory

    tree = party.tree
    case = CaseFactory(
        area=tree.grid_a1,
        community=tree.community_a,
        category=CategoryFactory(code="0101", name="暴露垃圾"),
        reporter_name="王建华",
        reporter_phone="13800001111",
    )
    dispatcher = UserFactory(username="dispatcher_reveal")
    RoleAssignmentFactory(user=dispatcher, role="community_dispatcher", area=tree.community_a)
    page = sign_in(browser, live_server, dispatcher.username, size)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    body = page.content()
    assert "138****1111" in body and "王**" in body and "13800001111" not in body
    assert _fits(page)
    shoot(page, artifacts_dir, f"case-reporter-masked-{size}")
    _reveal(page, f"/cases/{case.pk}/reporter/", "电话回访")
    assert "13800001111" in page.content() and "王建华" in page.content()
    assert _fits(page)
    shoot(page, artifacts_dir, f"case-reporter-revealed-{size}")
    assert PersonalDataAccess.objects.filter(reason="电话回访", interface="web").count() == 2
    page.close()

    page = sign_in(browser, live_server, party.officer_a.username, size)
    page.goto(f"{live_server.url}/party/units/")
    assert "137****0000" in page.content() and "13700000000" not in page.content()
    assert _fits(page)
    _reveal(page, f"/party/units/{party.unit_a.pk}/reveal/", "联系共建")
    assert "13700000000" in page.content()
    assert _fits(page)
    shoot(page, artifacts_dir, f"unit-revealed-{size}")
    page.close()
