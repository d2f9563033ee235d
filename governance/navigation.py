"""Navigation and start pages, filled by each app in its AppConfig.ready().

The base layout knows no app: apps register their menu entries (with the roles that see them and
an optional badge count) and the start page of each role. Later apps override earlier ones.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Model
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from governance.processcache import ProcessCache
from governance.scopes import scope_of


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url_name: str
    roles: frozenset[str] | None = None  # None: every signed-in user
    badge: Callable | None = None  # badge(user) -> int | None
    # The models whose rows the badge counts: a save or delete of one moves it at once (see
    # BADGES). Writes of them that send no signal call processcache.changed(model).
    badge_reads: tuple[type[Model], ...] = ()
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


# The badges of each user, kept per process (three counting queries a page, a tenth of a list
# page's CPU, issue 15), in parts (governance.processcache): a save or delete of a row a badge
# reads (NavItem.badge_reads: cases, requests, orders, notifications, role assignments) drops, in
# every process, the badges of the users it concerns, so that a badge is right on the page after
# a transition. A row says whom through badges_follow: a case the users of its street (and those
# whose roles reach beyond one street: a district, a department, a superuser), a notification its
# recipient; a model that does not say, or a bulk write (processcache.changed(model)), drops
# every user's. The counts that move with the clock alone (a case coming near its due time) are
# drawn afresh within BADGE_SECONDS.
BADGE_SECONDS = 60
BADGES = ProcessCache("nav-badges", max_age=BADGE_SECONDS)
# The part of the users whose roles reach beyond one street: every street's writes touch it.
WIDE = "wide"


def register_nav(item: NavItem) -> None:
    _items[item.key] = item
    _menus.clear()
    BADGES.watch(*item.badge_reads)


def badges_follow(
    model: type[Model],
    *,
    street: Callable[[Model], int | None] | None = None,
    user: Callable[[Model], int | None] | None = None,
) -> None:
    """Whose badges a write of a row of ``model`` moves: the users of one street (``street(row)``
    is the street's pk) or one user (``user(row)`` is the user's pk). None from either: every
    user's (the row cannot say)."""

    def parts(row: Model) -> tuple[str, ...] | None:
        if street is not None:
            return street_row_parts(street(row))
        user_pk = user(row) if user is not None else None
        return None if user_pk is None else (f"user:{user_pk}",)

    BADGES.partition(model, parts)


def badge_parts(user) -> tuple[str, ...]:
    """The parts a user's badges depend on: their own, and their streets' or, for roles
    reaching beyond one street, the wide part (one key, however many streets)."""
    return (f"user:{user.pk}", *street_parts(user))


def street_parts(user) -> tuple[str, ...]:
    """The parts of a cache partitioned by street (the badges, the case lists' counts) that
    what ``user`` sees of a street's rows depends on: their streets', or, for roles reaching
    beyond one street, the wide part."""
    streets = scope_of(user).streets()
    if streets is None:
        return (WIDE,)
    return tuple(f"street:{pk}" for pk in sorted(streets))


def street_row_parts(street_pk: int | None) -> tuple[str, ...] | None:
    """The parts a write of a row of the street ``street_pk`` touches: that street's and the
    wide part (None when the row cannot name its street: every part)."""
    return None if street_pk is None else (f"street:{street_pk}", WIDE)


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


def url_for(url_name: str) -> str | None:
    """``reverse(url_name)`` of a URL without arguments, kept per URL configuration and script
    prefix (None when it is not routed): the menus' and the base layout's links."""
    key = (url_name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    if key not in _urls:
        try:
            _urls[key] = reverse(url_name)
        except NoReverseMatch:
            # An app may register its menu before its pages are routed; skip the entry then.
            _urls[key] = None
    return _urls[key]


# The menu as each language and URL configuration draws it: every entry routed there, in order,
# with its URL and its label, kept from the first page that drew it (sorting, reversing and
# translating a dozen entries on every page was a fifth of the menu's time).
_menus: dict[tuple, list[tuple[NavItem, str, str]]] = {}


def _menu() -> list[tuple[NavItem, str, str]]:
    key = (get_language(), get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    menu = _menus.get(key)
    if menu is None:
        menu = _menus[key] = [
            (item, url, str(item.label))
            for item in sorted(_items.values(), key=lambda i: (i.order, i.key))
            if (url := url_for(item.url_name)) is not None
        ]
    return menu


def items_for(user) -> list[dict]:
    scope = scope_of(user)
    shown = [
        (item, url, label)
        for item, url, label in _menu()
        if item.roles is None or scope.has_role(*item.roles)
    ]
    badges = {}
    if any(item.badge for item, _url, _label in shown):
        badges = BADGES.get(
            (user.pk, *(item.key for item, _url, _label in shown)),
            lambda: {item.key: item.badge(user) for item, _url, _label in shown if item.badge},
            parts=badge_parts(user),
        )
    return [
        {
            "key": item.key,
            "label": label,
            "url": url,
            "badge": badges.get(item.key),
            "tab": item.tab,
        }
        for item, url, label in shown
    ]


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


# -- drawing ----------------------------------------------------------------------------------
# The base layout drew its two menus with a template loop and an include per icon (a tenth of a
# list page's CPU, issue 15); these functions write the same markup (checked in
# tests/casework/test_page_markup.py against the templates they replace).

# The icon of each entry (the drawing inside the SVG); any other key gets a circle.
ICONS = {
    "case-inbox": '<path d="M3 13l3-8h12l3 8v6H3z M3 13h5l1 2h6l1-2h5"/>',
    "case-new": '<circle cx="12" cy="12" r="9"/><path d="M12 8v8 M8 12h8"/>',
    "cases": '<path d="M6 3h9l4 4v14H6z M9 11h7 M9 15h7 M9 7h3"/>',
    "areas": '<path d="M3 3h8v8H3z M13 3h8v8h-8z M3 13h8v8H3z M13 13h8v8h-8z"/>',
    "patrols": '<path d="M12 21s-6-6-6-11a6 6 0 0 1 12 0c0 5-6 11-6 11z"/>'
    '<circle cx="12" cy="10" r="2"/>',
    "dangers": '<path d="M12 3l10 18H2z M12 10v5 M12 17.5v.5"/>',
    "mobilization": '<path d="M3 10v4h3l8 5V5L6 10z M17 9a4 4 0 0 1 0 6"/>',
    "supervision": '<circle cx="12" cy="13" r="8"/><path d="M12 9v4l3 2 M9 2h6"/>',
    "party": '<path d="M5 21V3 M5 4h13l-3 4 3 4H5"/>',
    "notifications": '<path d="M6 16V11a6 6 0 0 1 12 0v5l2 2H4z M10 20a2 2 0 0 0 4 0"/>',
    "changelog": '<path d="M4 12a8 8 0 1 0 2.5-5.8 M4 4v4h4 M12 8v4l3 2"/>',
    "more": '<circle cx="5" cy="12" r="1.5"/><circle cx="12" cy="12" r="1.5"/>'
    '<circle cx="19" cy="12" r="1.5"/>',
}
OTHER_ICON = '<circle cx="12" cy="12" r="8"/>'


def icon_html(key: str) -> SafeString:
    return mark_safe(
        '<svg class="tab-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">'
        f"{ICONS.get(key, OTHER_ICON)}</svg>\n"
    )


def waiting(badge) -> SafeString:
    # As {% blocktranslate with n=badge %}{{ n }} waiting{% endblocktranslate %}.
    return mark_safe(gettext("%(n)s waiting") % {"n": conditional_escape(badge)})


# The menus' labels, URLs and keys are few (the registered entries, per language): each is
# escaped once per process. Typed, so that a SafeString is never taken for a plain string.
_escape = functools.lru_cache(maxsize=1024, typed=True)(conditional_escape)


def _active(item: dict) -> str:
    return ' class="active" aria-current="page"' if item.get("active") else ""


def menu_html(items: list[dict]) -> SafeString:
    """The top bar's entries."""
    parts = []
    for item in items:
        badge = ""
        if item["badge"]:
            n = item["badge"]
            badge = f'<span class="badge" title="{waiting(n)}">{conditional_escape(n)}</span>'
        parts.append(
            f'\n        <a href="{_escape(item["url"])}"{_active(item)}>\n'
            f"          {_escape(item['label'])}{badge}\n        </a>\n      "
        )
    return mark_safe("".join(parts))


def tabs_html(items: list[dict]) -> SafeString:
    """The phone's bottom bar's tabs."""
    parts = []
    for item in items:
        active = " active" if item.get("active") else ""
        current = ' aria-current="page"' if active else ""
        badge = ""
        if item["badge"]:
            n = item["badge"]
            badge = f'<span class="tab-badge" title="{waiting(n)}">{conditional_escape(n)}</span>'
        parts.append(
            f'\n    <a href="{_escape(item["url"])}" class="tab{active}"{current} '
            f'data-tab="{_escape(item["key"])}">\n'
            f"      {icon_html(item['key'])}\n"
            f'      <span class="tab-label">{_escape(item["label"])}</span>\n'
            f"      {badge}\n    </a>\n  "
        )
    return mark_safe("".join(parts))


def more_html(items: list[dict]) -> SafeString:
    """The entries of the bottom bar's "More" sheet."""
    parts = []
    for item in items:
        badge = (
            f'<span class="badge">{conditional_escape(item["badge"])}</span>'
            if item["badge"]
            else ""
        )
        parts.append(
            f'\n          <a href="{_escape(item["url"])}" role="menuitem"{_active(item)}>\n'
            f"            {icon_html(item['key'])}\n"
            f"            <span>{_escape(item['label'])}</span>\n"
            f"            {badge}\n          </a>\n        "
        )
    return mark_safe("".join(parts))
