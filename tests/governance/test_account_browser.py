"""The account page and the lockout in Chromium, on a desktop and on a phone: reach "my account"
from the header, issue a token (its key shown once), revoke it; a locked-out login says why."""

from __future__ import annotations

import pytest
from django.urls import reverse

from governance.models import ApiToken
from tests.factories import AreaTreeFactory, RoleAssignmentFactory, UserFactory

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def worker(transactional_db):
    tree = AreaTreeFactory.build_street()
    user = UserFactory(username="wanggeyuan", full_name="李网格")
    RoleAssignmentFactory(user=user, role="grid_worker", area=tree.grid_a1)
    return user


def _log_in(page, base: str, password: str = "pass-word-123") -> None:
    page.goto(base + reverse("login"))
    page.fill("input[name=username]", "wanggeyuan")
    page.fill("input[name=password]", password)
    page.click(".auth-card button[type=submit]")
    page.wait_for_load_state("networkidle")


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_a_user_issues_and_revokes_a_token_on_their_page(
    browser, live_server, worker, artifacts_dir, screen
):
    context = browser.new_context(viewport=VIEWPORTS[screen], locale="zh-CN")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        _log_in(page, live_server.url)
        page.click("details.usermenu summary")
        page.click("text=我的账户")
        page.wait_for_url("**" + reverse("account"))
        assert page.locator("text=您还没有 API 令牌。").is_visible()

        page.fill("input[name=name]", "巡查App")
        page.click("form.token-form button[type=submit]")
        key_field = page.locator(".token-key input")
        key = key_field.input_value()
        assert len(key) > 30
        assert ApiToken.objects.get(user=worker).prefix == key[:8]
        assert page.locator("table").inner_text().count("巡查App") == 1
        assert _fits(page)
        page.screenshot(path=artifacts_dir / f"account-token-{screen}.png", full_page=True)

        page.goto(live_server.url + reverse("account"))
        assert page.locator(".token-key").count() == 0
        page.click("button:has-text('吊销')")
        page.wait_for_load_state("networkidle")
        assert page.locator("text=已吊销").is_visible()
        assert not ApiToken.objects.filter(user=worker).exists()
        assert errors == []
    finally:
        context.close()


def test_a_locked_out_login_says_why_on_a_phone(browser, live_server, worker, artifacts_dir):
    context = browser.new_context(viewport=VIEWPORTS["phone"], locale="zh-CN")
    page = context.new_page()
    try:
        for attempt in range(5):
            _log_in(page, live_server.url, password=f"wrong-{attempt}")
        _log_in(page, live_server.url)
        assert page.url.endswith(reverse("login"))
        assert "登录失败次数过多" in page.locator(".form-errors").inner_text()
        assert _fits(page)
        page.screenshot(path=artifacts_dir / "login-locked-out-phone.png", full_page=True)
    finally:
        context.close()
