from django import template
from django.urls import NoReverseMatch

from governance import navigation

register = template.Library()

register.simple_tag(navigation.menu_html, name="menu_links")
register.simple_tag(navigation.tabs_html, name="tab_links")
register.simple_tag(navigation.more_html, name="more_links")
register.simple_tag(navigation.icon_html, name="nav_icon")


@register.simple_tag
def fixed_url(url_name: str) -> str:
    """``{% url url_name %}`` for a URL without arguments (the base layout's eight), reversed
    once per URL configuration and script prefix, as the menu's are (a reverse() each was a
    fiftieth of a list page's CPU, issue 15)."""
    url = navigation.url_for(url_name)
    if url is None:
        raise NoReverseMatch(f"Reverse for '{url_name}' not found.")
    return url
