from django import template

from governance import navigation

register = template.Library()

register.simple_tag(navigation.menu_html, name="menu_links")
register.simple_tag(navigation.tabs_html, name="tab_links")
register.simple_tag(navigation.more_html, name="more_links")
register.simple_tag(navigation.icon_html, name="nav_icon")
