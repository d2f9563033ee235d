"""The list and inbox pages look the same drawn through the templates issue 15 replaced and
through the new path, on a desktop and on a 390-px phone (the HTML is compared byte for byte in
test_page_markup.py; this looks at it). Screenshots in var/test-artifacts/markup/."""

from __future__ import annotations

import pytest

from tests.casework.test_browser import DESKTOP, PHONE
from tests.casework.test_page_markup import _templates_before

pytestmark = [pytest.mark.browser]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_pages_look_as_the_templates_drew_them(
    transactional_db, live_server, session, crew, tree, categories, artifacts_dir, viewport
):
    from tests.casework.factories import CaseFactory

    for i in range(3):
        CaseFactory(
            category=categories.garbage, area=tree.building_a1, street=tree.street,
            title=f"楼道堆物{i}",
        )  # fmt: skip
    shots = artifacts_dir / "markup"
    shots.mkdir(exist_ok=True)
    page = session(crew.dispatcher_a, viewport)  # cases waiting: badges and rows
    name = "desktop" if viewport is DESKTOP else "phone"
    for slug, path in [("list", "/cases/?status=reported"), ("inbox", "/cases/inbox/")]:
        drawn = {}
        for when in ("before", "after"):
            if when == "before":
                with _templates_before():
                    page.goto(f"{live_server.url}{path}")
                    page.wait_for_load_state()
            else:
                page.goto(f"{live_server.url}{path}")
                page.wait_for_load_state()
            drawn[when] = page.screenshot(
                path=shots / f"{slug}-{name}-{when}.png", full_page=True, animations="disabled"
            )
        assert drawn["before"] == drawn["after"], f"{slug} on a {name} looks different"
    assert page.errors == []
