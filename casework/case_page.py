"""The case page's photos and timeline, drawn in Python.

Drawn by the template engine, a timeline of six steps with three photos cost the case page
about a fifth of its CPU (issue 15): a lookup, a filter or a translation per line, an include
and three ``{% url %}`` per photo, and each choice's label through ``get_FOO_display`` (which
makes the field's choices hashable on every call). These functions write the markup of
``detail.html``'s timeline loop and of ``_photo.html`` byte for byte (tests/casework/
test_page_markup.py compares the page with those templates, kept there), every value escaped,
the labels translated once per page and the photos' URLs reversed once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import timezone
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
