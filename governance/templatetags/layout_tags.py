from django import template
from django.urls import NoReverseMatch

from governance import layout, navigation

register = template.Library()

register.simple_tag(layout.head_links, name="head_links")
register.simple_tag(layout.header_html, name="page_header", takes_context=True)
register.simple_tag(layout.tabbar_html, name="tab_bar", takes_context=True)


@register.simple_tag
def fixed_url(url_name: str) -> str:
    """``{% url url_name %}`` for a URL without arguments, reversed once per URL configuration
    and script prefix, as the menu's are (a reverse() each was a fiftieth of a list page's CPU,
    issue 15)."""
    url = navigation.url_for(url_name)
    if url is None:
        raise NoReverseMatch(f"Reverse for '{url_name}' not found.")
    return url
