"""Form widgets that draw their markup in Python.

Django draws a select with one template per option (and a check box with three nested
templates): the case list's filter form rendered 200 templates a request, about a third of
the page's time (issue 15). These widgets write the same markup as Django's templates
(``django/forms/widgets/select.html``, ``select_option.html``, ``checkbox_option.html``; checked
in tests/governance/test_widgets.py against them), every value and label escaped.
"""

from __future__ import annotations

from django import forms
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: dict) -> str:
    # As django/forms/widgets/attrs.html: False leaves the attribute out, True writes its name.
    return "".join(
        format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
        for name, value in attrs.items()
        if value is not False
    )


def _option(option: dict) -> str:
    return format_html(
        '<option value="{}"{}>{}</option>',
        option["value"],
        mark_safe(_attrs(option["attrs"])),
        option["label"],
    )


def _select(widget: dict) -> str:
    parts = [
        format_html('<select name="{}"{}>', widget["name"], mark_safe(_attrs(widget["attrs"])))
    ]
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(format_html('\n  <optgroup label="{}">', group_name))
        # Each option's template ends with a line break, hence the blank lines Django writes.
        parts.extend("\n  " + _option(option) + "\n" for option in group_choices)
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else format_html(' value="{}"', widget["value"])
    tag = format_html(
        '<input type="{}" name="{}"{}{}>',
        widget["type"],
        widget["name"],
        value,
        mark_safe(_attrs(widget["attrs"])),
    )
    if widget.get("wrap_label"):
        label_for = (
            format_html(' for="{}"', widget["attrs"]["id"]) if widget["attrs"].get("id") else ""
        )
        return format_html(
            "<label{}>{} {}</label>", label_for, tag, conditional_escape(widget["label"])
        )
    return tag


class _DrawnInPython:
    # Widget._render is where Widget.render and BoundWidget.tag (one check box) both go.
    drawn = {
        "django/forms/widgets/select.html": _select,
        "django/forms/widgets/checkbox_option.html": _input,
        "django/forms/widgets/text.html": _input,
        "django/forms/widgets/date.html": _input,
    }

    def _render(self, template_name, context, renderer=None) -> SafeString:
        draw = self.drawn.get(template_name)
        if draw is None:
            return super()._render(template_name, context, renderer)
        return mark_safe(draw(context["widget"]))


class Select(_DrawnInPython, forms.Select):
    pass


class NullBooleanSelect(_DrawnInPython, forms.NullBooleanSelect):
    pass


class CheckboxSelectMultiple(_DrawnInPython, forms.CheckboxSelectMultiple):
    pass


class TextInput(_DrawnInPython, forms.TextInput):
    pass


class DateInput(_DrawnInPython, forms.DateInput):
    pass
