"""Navigation and start pages, filled by each app in its AppConfig.ready().

The base layout knows no app: apps register their menu entries (with the roles that see them and
an optional badge count) and the start page of each role. Later apps override earlier ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

from governance.scopes import scope_of


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url_name: str
    roles: frozenset[str] | None = None  # None: every signed-in user
    badge: Callable | None = None  # badge(user) -> int | None
    order: int = 50
    # Rank in the phone's bottom tab bar (lower first); None: only under "More" when the role
    # has more entries than the bar holds.
    tab: int | None = None


# The phone's bottom bar holds this many entries; with more, the last place is "More".
TAB_BAR_SIZE = 4


_items: dict[str, NavItem] = {}
_start_pages: dict[str, Callable] = {}
_unassigned_start_pages: list[Callable] = []
_superuser_start_pages: list[Callable] = []


def register_nav(item: NavItem) -> None:
    _items[item.key] = item


def register_start_page(role: str, resolver: Callable) -> None:
    """``resolver(user, assignment)`` returns the URL a user of ``role`` starts on."""
    _start_pages[role] = resolver


def register_unassigned_start_page(resolver: Callable) -> None:
    """``resolver(user)`` returns the URL a signed-in user without any role assignment starts
    on (a volunteer's own page, say), or None to let the next resolver answer."""
    _unassigned_start_pages.append(resolver)


def register_superuser_start_page(resolver: Callable) -> None:
    """``resolver(user)`` returns the URL a superuser without role assignments starts on (the
    area tree, say), or None to let the next resolver answer."""
    _superuser_start_pages.append(resolver)


# The menu's URLs, reversed once per URL configuration and script prefix (a reverse() per entry
# per page was a tenth of the navigation's time); None for an entry not routed.
_urls: dict[tuple, str | None] = {}


def _url(url_name: str) -> str | None:
    key = (url_name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    if key not in _urls:
        try:
            _urls[key] = reverse(url_name)
        except NoReverseMatch:
            # An app may register its menu before its pages are routed; skip the entry then.
            _urls[key] = None
    return _urls[key]


def items_for(user) -> list[dict]:
    scope = scope_of(user)
    entries = []
    for item in sorted(_items.values(), key=lambda i: (i.order, i.key)):
        if item.roles is not None and not scope.has_role(*item.roles):
            continue
        url = _url(item.url_name)
        if url is None:
            continue
        entries.append(
            {
                "key": item.key,
                "label": item.label,
                "url": url,
                "badge": item.badge(user) if item.badge else None,
                "tab": item.tab,
            }
        )
    return entries


def start_page_for(user) -> str | None:
    scope = scope_of(user)
    for assignment in scope.assignments:
        resolver = _start_pages.get(assignment.role)
        if resolver is not None:
            return resolver(user, assignment)
    if scope.assignments:
        return None
    for resolver in _superuser_start_pages if scope.is_superuser else _unassigned_start_pages:
        target = resolver(user)
        if target:
            return target
    return None


def split_tabs(items: list[dict]) -> tuple[list[dict], list[dict]]:
    """The phone's bottom bar: the role's main entries as tabs, the rest behind "More".

    Up to TAB_BAR_SIZE entries are all tabs. Beyond that the bar holds the TAB_BAR_SIZE - 1
    entries of lowest tab rank (menu order breaks ties; unranked entries come last) and the
    others, in menu order, go to the "More" sheet.
    """
    if len(items) <= TAB_BAR_SIZE:
        return list(items), []
    ranked = sorted(
        range(len(items)),
        key=lambda i: (items[i]["tab"] is None, items[i]["tab"] or 0, i),
    )
    chosen = set(ranked[: TAB_BAR_SIZE - 1])
    tabs = [items[i] for i in sorted(chosen, key=lambda i: ranked.index(i))]
    more = [item for i, item in enumerate(items) if i not in chosen]
    return tabs, more


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_tabs": [], "nav_more": []}
    items = items_for(user)
    # The current section is the entry with the longest URL the path starts with, so that
    # /party/projects/ marks "projects" and not also "party".
    matches = [item for item in items if request.path.startswith(item["url"])]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["active"] = True
    tabs, more = split_tabs(items)
    return {
        "nav_items": items,
        "nav_tabs": tabs,
        "nav_more": more,
        "nav_more_badge": sum(item["badge"] or 0 for item in more),
        "nav_more_active": any(item.get("active") for item in more),
    }
