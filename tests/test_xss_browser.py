"""Stored XSS, in Chromium: an area, a category, a department, a case and a party project named
with script payloads (tests/xss_records.py). A superuser opens every page that shows them — the
maps, lists, detail pages, the tree, the case pages, the party project pages, the admin's lists
and forms, the API docs — and no payload runs: ``window.__xss`` stays unset, no dialog opens, no
element of a payload is in the page, the Content-Security-Policy had nothing to refuse (an
injected handler would have been reported), and the names read as text where they are shown."""

from __future__ import annotations

import pytest
from django.urls import reverse

from casework.stats.wall import wall_token_issue
from tests import xss_records
from tests.factories import AreaTreeFactory, UserFactory

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 900}
# Every policy violation of a page, reported by the browser, collected before the page's scripts.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(`${event.violatedDirective} ${event.blockedURI} ${event.sample}`);
});
"""
# "window.__xss" of a payload, as the page shows it when the payload is text.
SHOWN = "window.__xss"


@pytest.fixture
def records(transactional_db):
    tree = AreaTreeFactory.build_street()
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    records = xss_records.build(tree)
    records.root = root
    return records


class Watcher:
    def __init__(self, page):
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.in_flight: set[str] = set()
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("request", lambda request: self.in_flight.add(request.url))
        for done in ("requestfinished", "requestfailed"):
            page.on(done, lambda request: self.in_flight.discard(request.url))

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def visit(self, url: str, *, shows: bool = True, ready: str | None = None) -> None:
        """Open ``url``; check that nothing of a payload ran; with ``shows``, that a payload is
        on the page as text."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

        self.page.goto(url)
        try:
            # A loaded machine (two browsers and a stack at once on CI's two cores) once took
            # the default 30 s here: a minute, then the requests still open are named.
            self.page.wait_for_load_state("networkidle", timeout=60_000)
        except PlaywrightTimeoutError:
            raise AssertionError(f"{url}: still loading {sorted(self.in_flight)}") from None
        if ready:
            self.page.wait_for_selector(ready, timeout=10_000)
        self.check(url, shows=shows)

    def check(self, where: str, *, shows: bool = True) -> None:
        page = self.page
        assert page.evaluate("typeof window.__xss") == "undefined", where
        assert page.evaluate("window.__csp") == [], where
        assert page.locator("img[src='x']").count() == 0, where
        injected = (
            "Array.from(document.scripts)"
            ".filter((s) => s.type !== 'application/json' && s.text.includes('__xss')).length"
        )
        assert page.evaluate(injected) == 0, where
        assert self.dialogs == [], where
        assert self.errors == [], where
        if shows:
            assert SHOWN in page.locator("body").inner_text(), where


def _log_in_as_root(page, base: str) -> None:
    page.goto(base + reverse("login"))
    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", "pass-word-123")
    page.click(".auth-card button[type=submit]")
    page.wait_for_load_state("networkidle")


def _admin(obj, view: str = "change") -> str:
    opts = obj._meta
    args = [obj.pk] if view == "change" else []
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def test_no_payload_runs_on_any_page_that_shows_it(browser, live_server, records, artifacts_dir):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    watch = Watcher(page)
    base = live_server.url
    tree = records.tree
    try:
        _log_in_as_root(page, base)

        # The tree: the payload area appears when its community is expanded.
        watch.visit(base + reverse("grids:tree"), shows=False)
        community = page.locator(f".tree-node[data-id='{tree.community_a.pk}']")
        community.locator(":scope > .tree-row button.toggle").click()
        page.locator(f".tree-node[data-id='{records.area.pk}']").wait_for()
        watch.check("tree, community A expanded")

        # The community's map labels its children: the payload area's label is text.
        watch.visit(
            base + reverse("grids:area", args=[tree.community_a.pk]), ready="[data-ready='1']"
        )
        labels = page.locator(".leaflet-tooltip").all_text_contents()
        assert xss_records.NAMES.area in labels
        page.screenshot(path=artifacts_dir / "xss-area-map.png", full_page=True)
        watch.visit(base + reverse("grids:area", args=[records.area.pk]), ready="[data-ready='1']")

        watch.visit(base + reverse("casework:list"))
        watch.visit(
            base + reverse("casework:detail", args=[records.case.pk]),
            ready="[data-case-map][data-ready='1']",
        )
        # Filing: the category picker lists the payload category as text.
        watch.visit(base + reverse("casework:new"), shows=False)
        page.fill("[data-category-search]", "类")
        page.locator(".picker-hit").first.wait_for()
        watch.check("category picker")
        watch.visit(base + reverse("deadlines:desk"), shows=False)
        watch.visit(base + reverse("changelog"))

        # The dashboard's map and tables, and the wall screen of community A: names as text.
        watch.visit(
            base + reverse("stats:dashboard") + f"?area={tree.community_a.pk}",
            ready="[data-dashboard-map][data-ready='1']",
        )
        _token, key = wall_token_issue(actor=records.root, area=tree.community_a, name="大屏")
        watch.visit(base + reverse("wall:screen", args=[key]), ready="body[data-updated]")
        assert xss_records.NAMES.area in page.locator("#wall-ranking").inner_text()
        page.screenshot(path=artifacts_dir / "xss-wall.png")

        watch.visit(base + reverse("partybuilding:projects"))
        watch.visit(base + reverse("partybuilding:project", args=[records.project.pk]))
        watch.visit(base + reverse("partybuilding:project-result", args=[records.project.pk]))
        watch.visit(base + reverse("partybuilding:lists"))

        for obj in (records.area, records.category, records.department, records.case):
            watch.visit(base + _admin(obj, "changelist"))
            watch.visit(base + _admin(obj))
        watch.visit(base + _admin(records.project, "changelist"))
        watch.visit(base + _admin(records.project))
        watch.visit(base + reverse("admin:governance_objectchange_changelist"))
        page.screenshot(path=artifacts_dir / "xss-admin-changes.png", full_page=True)

        # The API docs (Swagger UI) work under the policy.
        watch.visit(base + reverse("api-docs"), shows=False, ready=".swagger-ui .info .title")
    finally:
        context.close()


# Pages that lost their inline handlers and style attributes to the policy work as before.
STUB_PRINT = "window.__printed = 0; window.print = () => { window.__printed += 1; };"


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_filters_print_buttons_progress_and_indents_work_without_inline_code(
    browser, live_server, records, artifacts_dir, screen
):
    from partybuilding.models import OrganizationKind
    from tests.partybuilding.factories import MemberFactory, OrganizationFactory

    tree = records.tree
    street = OrganizationFactory(
        kind=OrganizationKind.STREET_COMMITTEE, name="示范街道党工委", area=tree.street
    )
    community = OrganizationFactory(
        kind=OrganizationKind.COMMUNITY_COMMITTEE,
        name="青松社区党委",
        area=tree.community_a,
        parent=street,
    )
    branch = OrganizationFactory(name="青松第一网格党支部", area=tree.grid_a1, parent=community)
    MemberFactory(organization=branch, name="李建国", in_service=True)
    MemberFactory(organization=branch, name="赵红梅", in_service=False)

    viewport = DESKTOP if screen == "desktop" else {"width": 390, "height": 844}
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    context.add_init_script(WATCH_CSP + STUB_PRINT)
    page = context.new_page()
    base = live_server.url
    try:
        _log_in_as_root(page, base)

        # The organization tree indents each level further.
        page.goto(base + reverse("partybuilding:organizations"))
        padding = [
            page.locator(".pb-org", has_text=name).first.evaluate(
                "(e) => parseFloat(getComputedStyle(e).paddingLeft)"
            )
            for name in ("示范街道党工委", "青松社区党委", "青松第一网格党支部")
        ]
        assert padding[0] < padding[1] < padding[2]
        page.screenshot(path=artifacts_dir / f"csp-organizations-{screen}.png", full_page=True)

        # A filter applies as soon as it is chosen.
        page.goto(base + reverse("partybuilding:members"))
        with page.expect_navigation():
            page.select_option("select[name=in_service]", "false")
        assert "in_service=false" in page.url
        assert page.locator("text=赵红梅").count() >= 1
        assert page.locator("text=李建国").count() == 0

        # Progress bars show the project's progress.
        page.goto(base + reverse("partybuilding:project", args=[records.project.pk]))
        assert page.locator("progress.pb-progress").first.get_attribute("value") == "40"
        width = page.locator("progress.pb-progress").first.bounding_box()["width"]
        assert width > 50
        page.screenshot(path=artifacts_dir / f"csp-project-{screen}.png", full_page=True)

        # Print buttons print.
        page.goto(base + reverse("partybuilding:identity-card", args=[tree.building_a1.pk]))
        page.click("[data-print]")
        assert page.evaluate("window.__printed") == 1

        # The admin's tree lists indent by level.
        page.goto(base + reverse("admin:grids_area_changelist"))
        levels = page.locator(".tree-indent").evaluate_all(
            "(all) => all.map((e) => parseFloat(getComputedStyle(e).paddingLeft))"
        )
        assert levels and max(levels) > min(levels)
        page.screenshot(path=artifacts_dir / f"csp-admin-areas-{screen}.png", full_page=True)
        page.goto(base + reverse("admin:casework_category_changelist"))
        assert page.locator(".tree-level-1", has_text="类").count() == 1
        assert page.evaluate("window.__csp") == []
    finally:
        context.close()
