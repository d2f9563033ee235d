"""The base layout's header, head links and bottom tab bar, drawn in Python.

``templates/base.html`` renders on every HTML page, and the layout cost about 1.3 ms of a page's
CPU (issue 15), most of it in tags: a dozen ``{% translate %}``, five ``{% static %}``, seven
URLs, the language buttons' loop. The fixed parts — translated labels, URLs, static paths — are
drawn once per language, URL configuration and script prefix (:class:`_Fixed`); each page adds
only what is its own (the CSRF token, the path, the user's name, the menus), escaped. The markup is the template's
byte for byte (checked in tests/casework/test_page_markup.py against the template before
issue 15, kept in tests/governance/reference/).
"""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from governance import navigation


class _Fixed:
    """The layout's fixed markup in one language, URL configuration and script prefix, each
    piece drawn at its first use (in that language)."""

    @cached_property
    def head(self) -> str:
        return (
            f'<link rel="icon" href="{_static("img/favicon.svg")}" type="image/svg+xml">\n'
            f'  <link rel="alternate icon" href="{_static("img/favicon.ico")}">\n'
            f'  <link rel="apple-touch-icon" href="{_static("img/apple-touch-icon.png")}">\n'
            f'  <link rel="manifest" href="{_url("manifest")}">\n'
            f'  <link rel="stylesheet" href="{_static("css/portal.css")}">'
        )

    @cached_property
    def brand(self) -> str:
        return (
            f'<a class="skip-link" href="#main">{_("Skip to content")}</a>\n'
            '<header class="topbar">\n'
            '  <div class="topbar-inner">\n'
            f'    <a class="brand" href="{_url("home")}">\n'
            '      <span class="brand-mark" aria-hidden="true">格</span>\n'
            f'      <span class="brand-text">{_("Grid governance")}</span>\n'
            "    </a>\n"
            "    "
        )

    @cached_property
    def mainnav(self) -> str:
        return f'\n    <nav class="mainnav" aria-label="{_("Main")}">\n      '

    @cached_property
    def langswitch(self) -> str:
        return (
            f'\n      <form action="{_url("set_language")}" method="post" class="langswitch" '
            f'aria-label="{_("Language")}">\n        '
        )

    @cached_property
    def language_buttons(self) -> str:
        # As the template's loop over {% get_available_languages %}, the current one pressed.
        current = get_language()
        return "".join(
            f'\n          <button type="submit" name="language" value="{escape(code)}" '
            f'lang="{escape(code)}" title="{_(name)}"'
            + (
                ' class="current" aria-pressed="true"'
                if code == current
                else ' aria-pressed="false"'
            )
            + (">中文" if code == "zh-hans" else ">EN")
            + "</button>\n        "
            for code, name in settings.LANGUAGES
        )

    @cached_property
    def usermenu(self) -> str:
        return (
            '\n        <details class="usermenu">\n'
            f'          <summary aria-label="{_("User menu")}">\n'
            '            <span class="avatar" aria-hidden="true">'
        )

    @cached_property
    def admin(self) -> str:
        return f'<a href="{_url("admin:index")}">{_("Administration")}</a>'

    @cached_property
    def account(self) -> str:
        return (
            f'\n            <a href="{_url("account")}">{_("My account")}</a>\n'
            f'            <a href="{_url("password_change")}">{_("Change password")}</a>\n'
            f'            <form action="{_url("logout")}" method="post">'
        )

    @cached_property
    def logout(self) -> str:
        return (
            f'<button type="submit">{_("Log out")}</button></form>\n'
            "          </div>\n        </details>\n      "
        )

    @cached_property
    def tabbar(self) -> str:
        return f'\n<nav class="tabbar" aria-label="{_("Main")}">\n  '

    @cached_property
    def more(self) -> str:
        return (
            f"{navigation.icon_html('more')}\n"
            f'        <span class="tab-label">{_("More")}</span>\n        '
        )


_fixed_parts: dict[tuple, _Fixed] = {}


def _fixed() -> _Fixed:
    key = (get_language(), get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    fixed = _fixed_parts.get(key)
    if fixed is None:
        fixed = _fixed_parts[key] = _Fixed()
    return fixed


@receiver(setting_changed)
def _forget(**kwargs) -> None:
    # Tests that change the static storage, the languages or the URLs draw afresh.
    _fixed_parts.clear()


def _(message: str) -> str:
    # gettext, escaped as {% translate %} escapes; named _ so that makemessages finds the
    # messages here.
    return escape(gettext(message))


def _static(path: str) -> str:
    return escape(static(path))


def fixed_url(url_name: str) -> str:
    """``reverse(url_name)`` of a URL without arguments, kept per URL configuration and script
    prefix as the menu's are (a reverse() each was a fiftieth of a list page's CPU, issue 15)."""
    url = navigation.url_for(url_name)
    if url is None:
        raise NoReverseMatch(f"Reverse for '{url_name}' not found.")
    return url


def _url(url_name: str) -> str:
    return escape(fixed_url(url_name))


def _csrf_input(context) -> str:
    # As {% csrf_token %}.
    token = context.get("csrf_token")
    if not token or token == "NOTPROVIDED":
        return ""
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)


def head_links() -> SafeString:
    """The icons, the manifest and the style sheet."""
    return mark_safe(_fixed().head)


def header_html(context) -> SafeString:
    """The skip link and the top bar: brand, main menu, language switch, user menu."""
    fixed = _fixed()
    user = context.get("user")
    signed_in = bool(user and user.is_authenticated)
    parts = [fixed.brand]
    nav_items = context.get("nav_items")
    if signed_in and nav_items:
        parts += [fixed.mainnav, navigation.menu_html(nav_items), "\n    </nav>\n    "]
    parts.append('\n    <div class="topbar-tools">\n      ')
    request = context.get("request")
    if request:
        parts += [
            fixed.langswitch,
            _csrf_input(context),
            '\n        <input type="hidden" name="next" value="',
            conditional_escape(request.get_full_path()),
            '">\n        \n        ',
            fixed.language_buttons,
            "\n      </form>\n      ",
        ]
    parts.append("\n      ")
    if signed_in:
        name = user.display_name
        parts += [
            fixed.usermenu,
            escape(name[:1].upper()),
            '</span>\n            <span class="usermenu-name">',
            conditional_escape(name),
            "</span>\n          </summary>\n"
            '          <div class="usermenu-panel">\n'
            '            <div class="usermenu-head">\n'
            "              <strong>",
            conditional_escape(name),
            '</strong>\n              <span class="muted">',
            conditional_escape(user.username),
            "</span>\n            </div>\n            ",
            fixed.admin if user.is_staff else "",
            fixed.account,
            _csrf_input(context),
            fixed.logout,
        ]
    parts.append("\n    </div>\n  </div>\n</header>")
    return mark_safe("".join(parts))


def tabbar_html(context) -> SafeString:
    """The phone's bottom bar, with its "More" sheet (nothing for a user without tabs)."""
    user = context.get("user")
    tabs = context.get("nav_tabs")
    if not (user and user.is_authenticated and tabs):
        return mark_safe("")
    fixed = _fixed()
    parts = [fixed.tabbar, navigation.tabs_html(tabs), "\n  "]
    more = context.get("nav_more")
    if more:
        badge = context.get("nav_more_badge")
        parts += [
            '\n    <details class="tab tab-more',
            " active" if context.get("nav_more_active") else "",
            '">\n      <summary data-tab="more">\n        ',
            fixed.more,
            f'<span class="tab-badge" title="{navigation.waiting(badge)}">'
            f"{conditional_escape(badge)}</span>"
            if badge
            else "",
            '\n      </summary>\n      <div class="tab-sheet" role="menu">\n        ',
            navigation.more_html(more),
            "\n      </div>\n    </details>\n  ",
        ]
    parts.append("\n</nav>\n")
    return mark_safe("".join(parts))
