"""Panels other apps add to the dashboard, so that the dashboard shows their figures without
casework importing them (``partybuilding`` → ``casework``: the higher app registers its panel in
its ``AppConfig.ready``). A panel is a template and a function giving its context for the user
and the dashboard's area; it runs a fixed number of queries (the dashboard's budget is tested).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.safestring import SafeString


@dataclass(frozen=True)
class Panel:
    key: str
    order: int
    template: str
    # (user, area) → the template's context, or None when the panel has nothing for this user.
    context: Callable[[object, object], dict | None]


_panels: dict[str, Panel] = {}


def register_panel(panel: Panel) -> None:
    _panels[panel.key] = panel


def render_panels(request, area) -> list[SafeString]:
    """The registered panels for ``request.user`` on ``area``, rendered, in order."""
    html = []
    for panel in sorted(_panels.values(), key=lambda p: p.order):
        context = panel.context(request.user, area)
        if context is not None:
            html.append(render_to_string(panel.template, context, request=request))
    return html
