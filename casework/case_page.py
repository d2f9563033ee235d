"""The case page's photos, timeline and step forms, drawn in Python.

Drawn by the template engine, a timeline of six steps with three photos cost the case page
about a fifth of its CPU (issue 15): a lookup, a filter or a translation per line, an include
and three ``{% url %}`` per photo, and each choice's label through ``get_FOO_display`` (which
makes the field's choices hashable on every call). These functions write the markup of
``detail.html``'s timeline loop and of ``_photo.html`` byte for byte (tests/casework/
test_page_markup.py compares the page with those templates, kept there), every value escaped,
the labels translated once per page and the photos' URLs reversed once. The step forms
likewise write what ``_step_form.html`` (with ``includes/field.html`` and, without photo drafts,
``casework/_photo_input.html``) wrote; those two stay the templates of every other form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.forms import BoundField
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from casework import workflow
from casework.models import Attachment, Case, CaseEvent, Status
from governance.models import Role

# A photo key that no real key looks like: each URL reversed once a page, the key put in per photo.
_KEY = "987654321"


def _photo_url(case: Case, size: str) -> tuple[str, str]:
    # What comes before and after the photo's key (the case's key comes before it).
    url = conditional_escape(reverse("casework:photo", args=[case.pk, _KEY, size]))
    before, after = url.rsplit(_KEY, 1)
    return before, after


def photo_drawer(case: Case) -> Callable[[Attachment], str]:
    """A function that draws one photo of ``case`` as ``_photo.html`` did (its line break too)."""
    full_before, full_after = _photo_url(case, "full")
    thumb_before, thumb_after = _photo_url(case, "thumb")
    kinds = {value: str(label) for value, label in Attachment.Kind.choices}
    alt = gettext("%(kind)s photo %(name)s")

    def draw(photo: Attachment) -> str:
        key = str(photo.pk)
        full = f"{full_before}{key}{full_after}"
        kind = conditional_escape(kinds.get(photo.kind, photo.kind))
        said = alt % {"kind": kind, "name": conditional_escape(photo.original_name)}
        return (
            f'<a class="thumb" href="{full}" data-full="{full}" target="_blank" rel="noopener">'
            f'<img src="{thumb_before}{key}{thumb_after}" alt="{said}" width="96" height="96" '
            f'loading="lazy"><span class="thumb-kind thumb-{conditional_escape(photo.kind)}">'
            f"{kind}</span></a>\n"
        )

    return draw


def gallery_html(case: Case, photos: Iterable[Attachment]) -> SafeString:
    """The case's photos, as the gallery's loop drew them."""
    draw = photo_drawer(case)
    return mark_safe("".join(draw(photo) for photo in photos))


def label_events(case: Case, events: Iterable[CaseEvent]) -> None:
    """Give each event of ``case`` the labels its line shows: ``step_label`` (deadline steps,
    such as extensions and supervision orders, are written to the same log), ``role_label`` and
    ``satisfaction_label``."""
    roles = dict(Role.choices)
    administrator = gettext("Administrator")
    for event in events:
        event.step_label = workflow.step_label(event.step)
        event.role_label = roles.get(event.role, administrator if event.role else "")
        # A case is evaluated once: the step that writes the satisfaction shows its value.
        spec = workflow.STEPS.get(event.step)
        writes_satisfaction = spec is not None and "satisfaction" in spec.writes
        event.satisfaction_label = (
            case.get_satisfaction_display() if writes_satisfaction and case.satisfaction else ""
        )


def timeline_html(case: Case, events: Iterable[CaseEvent]) -> SafeString:
    """The ``<li>`` of each event (its photos prefetched, its labels given by
    :func:`label_events`), as the timeline's loop drew them."""
    draw_photo = photo_drawer(case)
    zone = timezone.get_current_timezone()  # once, not a thread-local lookup per event
    statuses = {value: str(label) for value, label in Status.choices}
    public = (
        f'<span class="tag tag-public">{conditional_escape(gettext("Public"))}</span>',
        f'<span class="tag tag-internal">{conditional_escape(gettext("Internal"))}</span>',
    )
    late = f'<span class="tag tag-late">{conditional_escape(gettext("Late"))}</span>'
    system = conditional_escape(gettext("System"))
    to_department = gettext("to %(name)s")
    satisfied = f'<span class="tag sat-{conditional_escape(case.satisfaction)}">'
    parts = []
    for event in events:
        old, new = event.from_status, event.to_status
        move = ""
        if old and old != new:
            move = (
                f'<span class="event-move">{conditional_escape(statuses.get(old, old))} → '
                f"{conditional_escape(statuses.get(new, new))}</span>"
            )
        elif not old:
            move = f'<span class="event-move">→ {conditional_escape(statuses.get(new, new))}</span>'
        satisfaction = ""
        if event.satisfaction_label:
            satisfaction = f"{satisfied}{conditional_escape(event.satisfaction_label)}</span>"
        who = conditional_escape(event.actor_name) if event.actor_name else system
        if event.role_label:
            who += f" · {conditional_escape(event.role_label)}"
        if event.department:
            name = conditional_escape(event.department.name)
            who += f" · {to_department % {'name': name}}"
        when = timezone.localtime(event.created_at, zone)
        comment = ""
        if event.comment:
            comment = f'<p class="event-comment">{linebreaksbr(event.comment)}</p>'
        shots = "".join(draw_photo(photo) for photo in event.attachments.all())
        if shots:
            shots = f'<div class="gallery gallery-small">{shots}</div>'
        parts.append(
            f'\n        <li class="event event-{conditional_escape(event.step)}">\n'
            f'          <div class="event-head">\n'
            f'            <strong class="event-step">'
            f"{conditional_escape(event.step_label)}</strong>\n"
            f"            {move}\n"
            f"            {public[0] if event.is_public else public[1]}\n"
            f"            {late if event.on_time is False else ''}\n"
            f"            {satisfaction}\n"
            f"          </div>\n"
            f'          <div class="event-who muted small">\n'
            f'            <time datetime="{when.isoformat()}">{when:%Y-%m-%d %H:%M}</time> · '
            f"{who}\n"
            f"          </div>\n"
            f"          {comment}\n"
            f"          {shots}\n"
            f"        </li>\n      "
        )
    return mark_safe("".join(parts))


def _shown(value) -> str:
    # As {{ value }} in a template (render_value_in_context): localized, escaped unless safe.
    value = localize(value)
    if not issubclass(type(value), str):
        value = str(value)
    return conditional_escape(value)


def _errors(field: BoundField) -> str:
    return "".join(f'<div class="error" role="alert">{_shown(e)}</div>' for e in field.errors)


def _help(field: BoundField) -> str:
    return f'<div class="help">{_shown(field.help_text)}</div>' if field.help_text else ""


def _required(field: BoundField) -> str:
    return '<span class="req" aria-hidden="true">*</span>' if field.field.required else ""


def field_html(field: BoundField) -> str:
    """One field as ``includes/field.html`` draws it (its line break too)."""
    error = " has-error" if field.errors else ""
    return (
        f'<div class="field{error}">\n'
        f'  <label for="{_shown(field.id_for_label)}">{_shown(field.label)}{_required(field)}'
        f"</label>\n"
        f"  {_shown(field)}\n"
        f"  {_errors(field)}\n"
        f"  {_help(field)}\n"
        f"</div>\n"
    )


# The photo input's icon, as templates/casework/_photo_input.html draws it.
_CAMERA = (
    '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" '
    'stroke-linecap="round" stroke-linejoin="round"><path d="M4 8h3l2-3h6l2 3h3v11H4z"/>'
    '<circle cx="12" cy="13" r="3.5"/></svg>'
)


def _percent_message(translated: str) -> str:
    # As {% translate %} of a message with a percent sign: its msgid has the sign doubled, and
    # the translation is shown with it single again.
    return conditional_escape(translated).replace("%%", "%")


def photo_input_html(field: BoundField, *, photo_max_bytes: int) -> str:
    """A step's photo field as ``casework/_photo_input.html`` draws it without photo drafts
    (a step uploads its photos with the form; the filing form's drafts keep the template)."""
    error = " has-error" if field.errors else ""
    label = _shown(field.label or gettext("Take or choose photos"))
    field_id = _shown(field.id_for_label)
    too_big = _percent_message(gettext("%%(name)s is larger than %%(mb)s MB."))
    not_image = _percent_message(gettext("%%(name)s is not a photo."))
    return (
        f'<div class="field photo-field{error}">\n'
        f'  <label class="photo-drop" for="{field_id}">\n'
        f'    <span class="photo-drop-icon" aria-hidden="true">{_CAMERA}</span>\n'
        f"    <span>{label}{_required(field)}</span>\n"
        f"  </label>\n"
        f"  {_shown(field)}\n"
        f'  <div class="photo-previews" data-previews-for="{field_id}"\n'
        f'       data-max-bytes="{_shown(photo_max_bytes)}"\n'
        f'       data-msg-too-big="{too_big}"\n'
        f'       data-msg-not-image="{not_image}"></div>\n'
        f"  {_errors(field)}\n"
        f"  {_help(field)}\n"
        f"</div>\n"
    )


def _quick_replies(form) -> str:
    buttons = "".join(
        f'<button type="button" class="chip chip-button" data-quick-reply="{_shown(t.text)}" '
        f'title="{_shown(t.text)}">{_shown(t.title)}</button>'
        for t in form.quick_replies
    )
    return (
        f'\n        <div class="quick-replies" role="group" '
        f'aria-label="{_shown(gettext("Quick replies"))}">\n'
        f'          <span class="muted small">{_shown(gettext("Quick replies:"))}</span>\n'
        f"          {buttons}\n"
        f"        </div>\n        "
    )


def _duplicates(form, field: BoundField) -> str:
    options = "".join(
        f'<option value="{_shown(d.number)}">{_shown(d.title)}</option>' for d in form.duplicates
    )
    picks = ""
    if form.duplicates:
        away = gettext("%(m)s m away")
        items = []
        for d in form.duplicates:
            distance = ""
            if d.distance_m is not None:
                distance = f" · {away % {'m': _shown(d.distance_m)}}"
            items.append(
                f'<li><button type="button" class="btn-link" '
                f'data-fill="{_shown(field.id_for_label)}" data-value="{_shown(d.number)}">'
                f"{_shown(d.number)}</button> {_shown(d.title)} "
                f'<span class="muted">{_shown(d.area.name)}{distance}</span></li>'
            )
        picks = (
            f'\n          <div class="help">{_shown(gettext("Possible originals:"))}\n'
            f'            <ul class="dup-pick">{"".join(items)}</ul>\n'
            f"          </div>\n        "
        )
    return (
        f'\n        <datalist id="{_shown(form.prefix)}-duplicates">{options}</datalist>\n'
        f"        {picks}\n      "
    )


def _field_of_step(form, field: BoundField, *, photo_max_bytes: int) -> str:
    if field.name == "is_public":
        checked = " checked" if field.value() else ""
        shown = (
            f'<label class="check"><input type="checkbox" name="{_shown(field.html_name)}" '
            f'id="{_shown(field.id_for_label)}"{checked}> {_shown(field.label)}</label>'
        )
    elif field.name == "satisfaction":
        error = " has-error" if field.errors else ""
        options = "".join(
            f'<label class="chip">{_shown(option.tag())}<span>{_shown(option.choice_label)}'
            f"</span></label>"
            for option in field
        )
        shown = (
            f'<fieldset class="field choice-row{error}"><legend>{_shown(field.label)}'
            f'<span class="req" aria-hidden="true">*</span></legend>\n'
            f"          {options}\n"
            f"          {_errors(field)}\n"
            f"        </fieldset>"
        )
    elif field.name == "photos":
        shown = photo_input_html(field, photo_max_bytes=photo_max_bytes)
    else:
        quick = ""
        if field.name == form.quick_target and form.quick_replies:
            quick = _quick_replies(form)
        shown = f"{field_html(field)}\n        {quick}"
    duplicates = _duplicates(form, field) if field.name == "duplicate_of" else ""
    return f"\n      \n        {shown}\n      \n      {duplicates}\n    "


def step_forms_html(forms: Iterable, *, case: Case, csrf_token, photo_max_bytes: int) -> SafeString:
    """The step forms (``casework.forms.StepForm``, with the view's ``quick_replies``,
    ``quick_target`` and ``style``), as ``detail.html``'s loop over ``_step_form.html`` drew
    them; ``csrf_token`` is the page's (the template context's)."""
    csrf = ""
    if csrf_token:
        csrf = (
            ""
            if csrf_token == "NOTPROVIDED"
            else f'<input type="hidden" name="csrfmiddlewaretoken" value="{_shown(csrf_token)}">'
        )
    confirm = gettext("Confirm: %(step)s")
    parts = []
    for form in forms:
        name = _shown(form.step.name)
        label = _shown(form.step.label)
        style = f" step-{_shown(form.style)}" if form.style else ""
        primary = " btn-primary" if form.style == "primary" else ""
        url = _shown(reverse("casework:step", args=[case.pk, form.step.name]))
        errors = form.non_field_errors()
        if errors:
            errors = f'<div class="form-errors" role="alert">{_shown(errors)}</div>'
        fields = "".join(
            _field_of_step(form, field, photo_max_bytes=photo_max_bytes)
            for field in form.visible_fields()
        )
        parts.append(
            f'\n<details class="step step-{name}{style}"{" open" if form.is_bound else ""}>\n'
            f'  <summary class="btn{primary}">{label}</summary>\n'
            f'  <form method="post" action="{url}" enctype="multipart/form-data" '
            f'class="step-form" novalidate>\n'
            f"    {csrf}\n"
            f"    {_shown(form['version'])}\n"
            f"    {errors or ''}\n"
            f"    {fields}\n"
            f'    <div class="form-actions">\n'
            f'      <button type="submit" class="btn{primary}">{confirm % {"step": label}}'
            f"</button>\n"
            f"    </div>\n"
            f"  </form>\n"
            f"</details>\n"
        )
    return mark_safe("".join(parts))
