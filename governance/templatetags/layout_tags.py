from django import template

from governance import layout

register = template.Library()

register.simple_tag(layout.head_links, name="head_links")
register.simple_tag(layout.header_html, name="page_header", takes_context=True)
register.simple_tag(layout.tabbar_html, name="tab_bar", takes_context=True)
register.simple_tag(layout.fixed_url, name="fixed_url")
