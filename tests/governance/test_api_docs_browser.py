"""The API docs (Swagger UI and Redoc) in Chromium: everything they load comes from the portal
itself, the pages run under the strict Content-Security-Policy (the Error body and the 409s are checked in
the schema itself: tests/casework/test_api_errors.py)."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from django.urls import reverse

from tests.factories import AreaTreeFactory, RoleAssignmentFactory, UserFactory

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def worker(transactional_db):
    tree = AreaTreeFactory.build_street()
    user = UserFactory(username="wanggeyuan", full_name="李网格")
    RoleAssignmentFactory(user=user, role="grid_worker", area=tree.grid_a1)
    return user


def _watched_page(context):
    """A new page, with the hosts it asks, its script errors and the policy's refusals it logs."""
    page = context.new_page()
    hosts, errors, refused = set(), [], []
    page.on("request", lambda request: hosts.add(urlparse(request.url).netloc))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return page, hosts, errors, refused


def _sign_in(page, live_server) -> None:
    page.goto(live_server.url + reverse("login"))
    page.fill("input[name=username]", "wanggeyuan")
    page.fill("input[name=password]", "pass-word-123")
    page.click(".auth-card button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_the_docs_load_from_the_portal_alone(browser, live_server, worker, artifacts_dir, screen):
    context = browser.new_context(viewport=VIEWPORTS[screen], locale="zh-CN")
    page, hosts, errors, refused = _watched_page(context)
    try:
        _sign_in(page, live_server)
        page.goto(live_server.url + "/api/v1/docs/")
        page.wait_for_function(
            "() => document.querySelectorAll('.swagger-ui .opblock').length > 5", timeout=30000
        )
        page.wait_for_load_state("networkidle")
        assert page.locator(".swagger-ui .opblock-tag", has_text="areas").count() == 1
        page.screenshot(path=artifacts_dir / f"api-docs-{screen}.png")
    finally:
        context.close()
    assert hosts == {urlparse(live_server.url).netloc}, hosts
    assert errors == [] and refused == []


# Every refusal of the policy, as the page itself sees it.
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_redoc_renders_the_operations_under_the_policy(
    browser, live_server, worker, artifacts_dir, screen
):
    context = browser.new_context(viewport=VIEWPORTS[screen], locale="zh-CN")
    context.add_init_script(WATCH_VIOLATIONS)
    page, hosts, errors, refused = _watched_page(context)
    try:
        _sign_in(page, live_server)
        response = page.goto(live_server.url + reverse("api-redoc"))
        policy = response.headers["content-security-policy"]
        assert "'nonce-" in policy and "unsafe-inline" not in policy
        page.wait_for_function(
            "() => document.querySelectorAll('[data-section-id^=\"operation/\"]').length > 50",
            timeout=60000,
        )
        page.wait_for_load_state("networkidle")
        # Styled: Redoc's three panes are laid out by the styles it wrote under the nonce.
        assert page.locator(".menu-content").count() == 1
        assert page.evaluate(
            "() => getComputedStyle(document.querySelector('.menu-content')).position"
        ) in ("sticky", "fixed")
        page.locator("h2", has_text="areas_list").first.wait_for()
        page.screenshot(path=artifacts_dir / f"api-redoc-{screen}.png")
        violations = page.evaluate("() => window.__violations")
    finally:
        context.close()
    # Nothing from another host (the footer logo's data: stand-in and the search worker's blob:
    # have none); nothing refused, the search worker included, which Redoc starts at once.
    assert hosts - {""} == {urlparse(live_server.url).netloc}, hosts
    assert violations == [] and refused == [] and errors == [], (violations, refused, errors)
