"""The base layout's header, head links and bottom tab bar, drawn in Python.

``templates/base.html`` renders on every HTML page, and its tags (a dozen ``{% translate %}``,
five ``{% static %}``, seven URLs, the language buttons' loop) were about 1.3 ms of a page's
CPU (issue 15). The fixed parts — translated labels, URLs, static paths — are drawn once per
language, URL configuration and script prefix (:func:`_once`); each page adds only what is its
own (the CSRF token, the path, the user's name, the menus), escaped. The markup is the template's
byte for byte (checked in tests/casework/test_page_markup.py against the template before
issue 15, kept in tests/governance/reference/).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from governance import navigation

_drawn: dict[tuple, str] = {}


def _once(name: str, draw: Callable[[], str]) -> str:
    """``draw()``, kept per language, URL configuration and script prefix."""
    key = (name, get_language(), get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    drawn = _drawn.get(key)
    if drawn is None:
        drawn = _drawn[key] = draw()
    return drawn


@receiver(setting_changed)
def _forget(**kwargs) -> None:
    # Tests that change the static storage, the languages or the URLs draw afresh.
    _drawn.clear()


def _url(url_name: str) -> str:
    url = navigation.url_for(url_name)
    if url is None:
        raise NoReverseMatch(f"Reverse for '{url_name}' not found.")
    return escape(url)


def _csrf_input(context) -> str:
    # As {% csrf_token %}.
    token = context.get("csrf_token")
    if not token or token == "NOTPROVIDED":
        return ""
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)


def head_links() -> SafeString:
    """The icons, the manifest and the style sheet."""
    return mark_safe(
        _once(
            "head",
            lambda: (
                f'<link rel="icon" href="{escape(static("img/favicon.svg"))}" '
                'type="image/svg+xml">\n'
                f'  <link rel="alternate icon" href="{escape(static("img/favicon.ico"))}">\n'
                '  <link rel="apple-touch-icon" '
                f'href="{escape(static("img/apple-touch-icon.png"))}">\n'
                f'  <link rel="manifest" href="{_url("manifest")}">\n'
                f'  <link rel="stylesheet" href="{escape(static("css/portal.css"))}">'
            ),
        )
    )


def header_html(context) -> SafeString:
    """The skip link and the top bar: brand, main menu, language switch, user menu."""
    user = context.get("user")
    signed_in = bool(user and user.is_authenticated)
    parts = [
        _once(
            "brand",
            lambda: (
                f'<a class="skip-link" href="#main">{escape(gettext("Skip to content"))}</a>\n'
                '<header class="topbar">\n'
                '  <div class="topbar-inner">\n'
                f'    <a class="brand" href="{_url("home")}">\n'
                '      <span class="brand-mark" aria-hidden="true">格</span>\n'
                f'      <span class="brand-text">{escape(gettext("Grid governance"))}</span>\n'
                "    </a>\n"
                "    "
            ),
        )
    ]
    nav_items = context.get("nav_items")
    if signed_in and nav_items:
        parts += [
            _once(
                "mainnav",
                lambda: (
                    f'\n    <nav class="mainnav" aria-label="{escape(gettext("Main"))}">\n      '
                ),
            ),
            navigation.menu_html(nav_items),
            "\n    </nav>\n    ",
        ]
    parts.append('\n    <div class="topbar-tools">\n      ')
    request = context.get("request")
    if request:
        parts += [_language_switch(context, request)]
    parts.append("\n      ")
    if signed_in:
        parts.append(_user_menu(context, user))
    parts.append("\n    </div>\n  </div>\n</header>")
    return mark_safe("".join(parts))


def _language_switch(context, request) -> str:
    return "".join(
        [
            _once(
                "langswitch",
                lambda: (
                    f'\n      <form action="{_url("set_language")}" method="post" '
                    f'class="langswitch" aria-label="{escape(gettext("Language"))}">\n        '
                ),
            ),
            _csrf_input(context),
            '\n        <input type="hidden" name="next" value="',
            conditional_escape(request.get_full_path()),
            '">\n        \n        ',
            _once("languages", _language_buttons),
            "\n      </form>\n      ",
        ]
    )


def _language_buttons() -> str:
    # As the template's loop over {% get_available_languages %}, the current one pressed.
    current = get_language()
    return "".join(
        f'\n          <button type="submit" name="language" value="{escape(code)}" '
        f'lang="{escape(code)}" title="{escape(gettext(name))}"'
        + (' class="current" aria-pressed="true"' if code == current else ' aria-pressed="false"')
        + (">中文" if code == "zh-hans" else ">EN")
        + "</button>\n        "
        for code, name in settings.LANGUAGES
    )


def _user_menu(context, user) -> str:
    name = user.display_name
    return "".join(
        [
            _once(
                "usermenu",
                lambda: (
                    '\n        <details class="usermenu">\n'
                    f'          <summary aria-label="{escape(gettext("User menu"))}">\n'
                    '            <span class="avatar" aria-hidden="true">'
                ),
            ),
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
            _once(
                "admin",
                lambda: f'<a href="{_url("admin:index")}">{escape(gettext("Administration"))}</a>',
            )
            if user.is_staff
            else "",
            _once(
                "account",
                lambda: (
                    f'\n            <a href="{_url("account")}">{escape(gettext("My account"))}</a>\n'
                    f'            <a href="{_url("password_change")}">'
                    f"{escape(gettext('Change password'))}</a>\n"
                    f'            <form action="{_url("logout")}" method="post">'
                ),
            ),
            _csrf_input(context),
            _once(
                "logout",
                lambda: (
                    f'<button type="submit">{escape(gettext("Log out"))}</button></form>\n'
                    "          </div>\n        </details>\n      "
                ),
            ),
        ]
    )


def tabbar_html(context) -> SafeString:
    """The phone's bottom bar, with its "More" sheet (nothing for a user without tabs)."""
    user = context.get("user")
    tabs = context.get("nav_tabs")
    if not (user and user.is_authenticated and tabs):
        return mark_safe("")
    parts = [
        _once(
            "tabbar", lambda: f'\n<nav class="tabbar" aria-label="{escape(gettext("Main"))}">\n  '
        ),
        navigation.tabs_html(tabs),
        "\n  ",
    ]
    more = context.get("nav_more")
    if more:
        badge = context.get("nav_more_badge")
        parts += [
            '\n    <details class="tab tab-more',
            " active" if context.get("nav_more_active") else "",
            '">\n      <summary data-tab="more">\n        ',
            _once(
                "more",
                lambda: (
                    f"{navigation.icon_html('more')}\n"
                    f'        <span class="tab-label">{escape(gettext("More"))}</span>\n        '
                ),
            ),
            format_html(
                '<span class="tab-badge" title="{}">{}</span>', navigation.waiting(badge), badge
            )
            if badge
            else "",
            '\n      </summary>\n      <div class="tab-sheet" role="menu">\n        ',
            navigation.more_html(more),
            "\n      </div>\n    </details>\n  ",
        ]
    parts.append("\n</nav>\n")
    return mark_safe("".join(parts))
