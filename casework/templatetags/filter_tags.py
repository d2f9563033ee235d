"""The case list's filter fields, drawn in Python.

The list page drew each of its twelve filter fields with an include of a small template (with its
check boxes, about a tenth of the page's CPU, issue 15); :func:`filter_field` writes the same
markup (checked in tests/casework/test_page_markup.py against the template it replaces, kept in
tests/casework/reference/filter_field_before_issue15.html).
"""

from __future__ import annotations

from django import template
from django.forms import BoundField
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def filter_field(field: BoundField) -> SafeString:
    errors = field.errors
    if getattr(field.field.widget, "input_type", None) == "checkbox":
        options = "".join(
            format_html(
                '<label class="chip">{}<span>{}</span></label>', option.tag(), option.choice_label
            )
            for option in field
        )
        control = format_html(
            '\n    <fieldset class="chips"><legend>{}</legend>\n      {}\n    </fieldset>\n  ',
            field.label,
            mark_safe(options),
        )
    else:
        control = format_html(
            '\n    <label for="{}">{}</label>\n    {}\n  ',
            field.id_for_label,
            field.label,
            field,
        )
    return format_html(
        '<div class="filter-field filter-{}{}">\n  {}\n  {}\n</div>\n',
        field.name,
        mark_safe(" has-error" if errors else ""),
        control,
        mark_safe(
            "".join(
                format_html('<div class="error" role="alert">{}</div>', conditional_escape(error))
                for error in errors
            )
        ),
    )
