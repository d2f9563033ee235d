"""The case list's filter fields, drawn in Python.

The list page drew each of its twelve filter fields with an include of a small template (with its
check boxes, about a tenth of the page's CPU, issue 15); :func:`filter_field` writes the same
markup (checked in tests/casework/test_page_markup.py against the template it replaces, kept in
tests/casework/reference/filter_field_before_issue15.html).
"""

from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def filter_field(field: BoundField) -> SafeString:
    errors = field.errors
    label = conditional_escape(field.label)
    widget = field.field.widget
    if getattr(widget, "input_type", None) == "checkbox":
        options = "".join(
            f'<label class="chip">{tag}<span>{conditional_escape(text)}</span></label>'
            for tag, text in _check_boxes(field)
        )
        control = (
            f'\n    <fieldset class="chips"><legend>{label}</legend>\n      {options}\n'
            "    </fieldset>\n  "
        )
    else:
        control = (
            f'\n    <label for="{conditional_escape(field.id_for_label)}">{label}</label>\n'
            f"    {conditional_escape(field)}\n  "
        )
    shown = "".join(
        f'<div class="error" role="alert">{conditional_escape(error)}</div>' for error in errors
    )
    return mark_safe(
        f'<div class="filter-field filter-{conditional_escape(field.name)}'
        f'{" has-error" if errors else ""}">\n  {control}\n  {shown}\n</div>\n'
    )


def _check_boxes(field: BoundField):
    """(tag, label) of each check box: what iterating the BoundField gives, drawn by the
    widget's fast path when it has one (governance.widgets.CheckboxSelectMultiple)."""
    widget = field.field.widget
    if hasattr(widget, "option_tags"):
        # The attributes BoundField.subwidgets passes to the widget.
        id_ = widget.attrs.get("id") or field.auto_id
        attrs = field.build_widget_attrs({"id": id_} if id_ else {})
        tags = widget.option_tags(field.html_name, field.value(), attrs)
        if tags is not None:
            return tags
    return [(option.tag(), option.choice_label) for option in field]


@register.simple_tag(takes_context=True)
def sort_link(context, key: str, rkey: str, label) -> SafeString:
    """A sort link of the list's head (``key``, and ``rkey`` the other way round), as the
    include of ``_sort.html`` drew it (kept in tests/casework/reference/)."""
    sort = context.get("sort")
    base_query = context.get("base_query")
    sorted_ = sort in (key, rkey)
    query = f"{conditional_escape(base_query)}&amp;" if base_query else ""
    target = conditional_escape(rkey if sort == key else key)
    arrow = (" ↓" if str(sort)[:1] == "-" else " ↑") if sorted_ else ""
    return mark_safe(
        f'<a class="sort{" sorted" if sorted_ else ""}" href="?{query}sort={target}">'
        f"{conditional_escape(label)}{arrow}</a>\n"  # (the include's file ended in a newline)
    )
