"""Every HTML page carries a Content-Security-Policy without 'unsafe-inline' or 'unsafe-eval' and
holds nothing that policy would refuse (an inline script, a handler attribute, a style attribute
or block), and user text in it is escaped. Pages are found by following the links of the portal
and of the admin, as a superuser and as a street admin, over records named with script payloads
(tests/xss_records.py); the browser test of the same records is tests/test_xss_browser.py."""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from tests import xss_records
from tests.conftest import _with_role

pytestmark = pytest.mark.django_db

CSP = "Content-Security-Policy"
# Pages of one shape (the same path with other ids) are checked once; a crawl stops here.
PAGE_LIMIT = 400
SKIPPED = re.compile(r"^/(static|media)/|^/i18n/|/logout/|\.xlsx$|^/api/v1/(?!docs/)")


class InlineFinder(HTMLParser):
    """What a page holds that a policy without 'unsafe-inline' refuses, and its links."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in attributes:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> (inline handler)")
            elif name == "style":
                self.problems.append(f"<{tag} style=…> (inline style)")
        data = attributes.get("type") in ("application/json", "application/ld+json")
        if tag == "script" and "src" not in attributes and not data:
            self.problems.append("<script> without src (inline script)")
        if tag == "style":
            self.problems.append("<style> block (inline style)")
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])


def policy_of(response) -> dict[str, list[str]]:
    directives = {}
    for part in response[CSP].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def check_page(url, response) -> list[str]:
    problems = []
    if CSP not in response:
        return [f"{url}: no {CSP} header"]
    policy = policy_of(response)
    for directive in ("default-src", "script-src", "style-src"):
        if directive not in policy:
            problems.append(f"{url}: no {directive}")
    for values in policy.values():
        for unsafe in ("'unsafe-inline'", "'unsafe-eval'"):
            if unsafe in values:
                problems.append(f"{url}: {unsafe} allowed")
    body = response.content.decode()
    for marker in xss_records.RAW_MARKERS:
        if marker in body:
            problems.append(f"{url}: unescaped user text {marker!r}")
    finder = InlineFinder()
    finder.feed(body)
    problems += [f"{url}: {problem}" for problem in finder.problems]
    return problems


def crawl(client: Client, start: list[str]) -> tuple[list[str], list[str]]:
    """Follow the portal's own links from ``start``; return the pages seen and the problems."""
    queue, shapes, seen, problems = deque(start), set(), [], []
    while queue and len(seen) < PAGE_LIMIT:
        url = queue.popleft()
        path = urlsplit(url).path
        shape = re.sub(r"\d+", "#", path)
        if shape in shapes or SKIPPED.search(path):
            continue
        shapes.add(shape)
        response = client.get(url)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        seen.append(url)
        problems += check_page(url, response)
        finder = InlineFinder()
        finder.feed(response.content.decode())
        for link in finder.links:
            if link.startswith("/") and not link.startswith("//"):
                queue.append(link)
            elif link.startswith("?"):
                queue.append(path + link)
    return seen, problems


def _admin_change(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def _record_pages(records) -> list[str]:
    """The pages that show each payload-named record, ahead of everything else."""
    tree = records.tree
    return [
        reverse("grids:area", args=[tree.community_a.pk]),
        reverse("grids:area", args=[records.area.pk]),
        reverse("casework:detail", args=[records.case.pk]),
        reverse("partybuilding:project", args=[records.project.pk]),
        reverse("partybuilding:project-result", args=[records.project.pk]),
        *(
            _admin_change(obj)
            for obj in (records.area, records.category, records.department, records.case)
        ),
        _admin_change(records.project),
        reverse("api-docs"),
        reverse("account"),
    ]


@pytest.fixture
def records(tree):
    return xss_records.build(tree)


def test_every_page_a_superuser_reaches_has_a_strict_policy_and_escaped_text(records, cast):
    client = Client()
    client.force_login(cast.superuser)
    seen, problems = crawl(client, [*_record_pages(records), "/", reverse("admin:index")])
    assert problems == []
    # The crawl reached the portal's sections and the admin's lists and forms.
    for expected in ("/areas/", "/cases/", "/party/", "/admin/grids/area/", "/admin/auth/group/"):
        assert any(url.startswith(expected) for url in seen), expected
    assert len(seen) > 100


def test_every_page_a_street_admin_reaches_has_a_strict_policy_and_escaped_text(records, cast):
    from tests.factories import grant_admin_site_access

    grant_admin_site_access(cast.street_admin)
    client = Client()
    client.force_login(cast.street_admin)
    seen, problems = crawl(client, [*_record_pages(records), "/", reverse("changelog")])
    assert problems == []
    assert len(seen) > 30


def test_pages_without_a_login_have_the_policy_too(records, client):
    pages = [
        reverse("login"),
        reverse("admin:login"),
        reverse("partybuilding:project-result", args=[records.project.pk]),
        "/no-such-page/",
    ]
    for url in pages:
        response = client.get(url)
        assert response["Content-Type"].startswith("text/html"), url
        assert check_page(url, response) == []


def test_the_policy_allows_only_the_portals_own_scripts_and_styles(client):
    policy = policy_of(client.get(reverse("login")))
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_a_street_admin_with_a_role_sees_the_records_of_their_street(records, cast):
    """The crawl as a street admin is not an empty one: their area page shows the payload area."""
    officer = _with_role("street_admin", records.tree.street, username="admin_crawl")
    client = Client()
    client.force_login(officer)
    page = client.get(reverse("grids:area", args=[records.tree.community_a.pk]))
    assert "楼&lt;img src=x" in page.content.decode()


def test_the_api_answers_a_browser_in_json(client, cast):
    """No browsable API pages (their inline styles would break under the policy): a browser
    that asks for HTML gets JSON, and the docs are the HTML view of the API."""
    client.force_login(cast.worker_a)
    response = client.get("/api/v1/areas/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
