"""The top bar on a 1,280-px laptop: every section of the roles with the longest menu shows whole,
none scrolled out of sight — in Chinese in one row, in English (longer names) in two. (A narrower
window in Chinese scrolls the menu sideways; tests/casework/test_phone_browser.py covers the
phone, whose sections are in a bottom bar.)"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 800}
# The menu's entries that lie outside its box (scrolled out of sight, or clipped by it).
HIDDEN_ENTRIES = """() => {
  const nav = document.querySelector('.mainnav').getBoundingClientRect();
  return Array.from(document.querySelectorAll('.mainnav a'))
    .filter((a) => { const r = a.getBoundingClientRect();
                     return r.left < nav.left - 0.5 || r.right > nav.right + 0.5; })
    .map((a) => a.textContent.trim());
}"""


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
@pytest.mark.parametrize("who", ["superuser", "street_admin"])
def test_every_section_shows_whole_on_a_laptop(
    transactional_db, session, cast, artifacts_dir, who, locale
):
    page = session(getattr(cast, who), LAPTOP, locale=locale)
    page.wait_for_load_state()
    entries = page.locator(".mainnav a")
    assert entries.count() >= 12, "the longest menus are what this test is about"
    assert page.evaluate("document.documentElement.lang")[:2] == locale[:2]
    page.screenshot(path=artifacts_dir / f"header-1280-{who}-{locale}.png")
    assert page.evaluate(HIDDEN_ENTRIES) == []
    # Every entry within the window, none under the language switch or the user's menu.
    tools = page.locator(".topbar-tools").bounding_box()
    for box in [entries.nth(i).bounding_box() for i in range(entries.count())]:
        assert box["x"] >= 0 and box["x"] + box["width"] <= tools["x"] + 0.5
    assert page.evaluate("document.documentElement.scrollWidth") == LAPTOP["width"]
    # The user's menu still opens and names them in full.
    page.click(".usermenu summary")
    assert page.locator(".usermenu-head strong").is_visible()
    assert page.errors == []
