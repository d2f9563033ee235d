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
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _flat(choices) -> bool:
    # No option group among the choices: the fast paths below draw flat lists only.
    return not any(isinstance(label, (list, tuple)) for _value, label in choices)


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


def _textarea(widget: dict) -> str:
    # As django/forms/widgets/textarea.html: a line break after the opening tag, the value only
    # when it is not empty.
    return format_html(
        '<textarea name="{}"{}>\n{}</textarea>',
        widget["name"],
        mark_safe(_attrs(widget["attrs"])),
        widget["value"] or "",
    )


class _DrawnInPython:
    # Widget._render is where Widget.render and BoundWidget.tag (one check box) both go.
    drawn = {
        "django/forms/widgets/select.html": _select,
        "django/forms/widgets/checkbox_option.html": _input,
        "django/forms/widgets/text.html": _input,
        "django/forms/widgets/date.html": _input,
        "django/forms/widgets/hidden.html": _input,
        "django/forms/widgets/textarea.html": _textarea,
    }

    def _render(self, template_name, context, renderer=None) -> SafeString:
        draw = self.drawn.get(template_name)
        if draw is None:
            return super()._render(template_name, context, renderer)
        return mark_safe(draw(context["widget"]))


class _SelectDrawnInPython(_DrawnInPython):
    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        """As Widget.render with select.html and one select_option.html per option, without
        the context of a dict per option (a select of the case list's area filter has a row
        per grid): what ChoiceWidget.get_context and optgroups decide, for flat choices."""
        choices = self.choices
        if self.allow_multiple_selected or not _flat(choices):
            return super().render(name, value, attrs, renderer)
        values = self.format_value(value)
        parts = [
            f'<select name="{conditional_escape(name)}"{_attrs(self.build_attrs(self.attrs, attrs))}>'
        ]
        has_selected = False
        for option_value, label in choices:
            if option_value is None:
                option_value = ""
            selected = not has_selected and str(option_value) in values
            has_selected |= selected
            parts.append(
                f'\n  <option value="{conditional_escape(option_value)}"'
                f"{' selected' if selected else ''}>{conditional_escape(label)}</option>\n"
            )
        parts.append("\n</select>")
        return mark_safe("".join(parts))


class Select(_SelectDrawnInPython, forms.Select):
    pass


class NullBooleanSelect(_SelectDrawnInPython, forms.NullBooleanSelect):
    pass


class CheckboxSelectMultiple(_DrawnInPython, forms.CheckboxSelectMultiple):
    def option_tags(self, name, value, attrs=None) -> list[tuple[SafeString, str]] | None:
        """(tag, label) of each check box, as a BoundField's BoundWidgets give them
        (``option.tag()``, ``option.choice_label``) for ``subwidgets(name, value, attrs)``,
        without a context dict and a template call per box; None for grouped choices."""
        choices = self.choices
        if not _flat(choices):
            return None
        values = self.format_value(value)
        base = self.build_attrs(self.attrs, attrs)
        start = (
            f'<input type="{conditional_escape(self.input_type)}" name="{conditional_escape(name)}"'
        )
        tags = []
        for index, (option_value, label) in enumerate(choices):
            if option_value is None:
                option_value = ""
            option_attrs = dict(base)
            if str(option_value) in values:
                option_attrs.update(self.checked_attribute)
            if "id" in option_attrs:
                option_attrs["id"] = self.id_for_label(option_attrs["id"], str(index))
            tag = f'{start} value="{conditional_escape(option_value)}"{_attrs(option_attrs)}>'
            tags.append((mark_safe(tag), label))
        return tags


class TextInput(_DrawnInPython, forms.TextInput):
    pass


class DateInput(_DrawnInPython, forms.DateInput):
    pass


class HiddenInput(_DrawnInPython, forms.HiddenInput):
    pass


class Textarea(_DrawnInPython, forms.Textarea):
    pass


class ClearableFileInput(forms.ClearableFileInput):
    def _render(self, template_name, context, renderer=None) -> SafeString:
        """As django/forms/widgets/clearable_file_input.html without a file already kept (the
        case page's step forms: a new photo each time): the input alone."""
        widget = context["widget"]
        if template_name != self.template_name or widget["is_initial"]:
            return super()._render(template_name, context, renderer)
        return format_html(
            '<input type="{}" name="{}"{}>',
            widget["type"],
            widget["name"],
            mark_safe(_attrs(widget["attrs"])),
        )
