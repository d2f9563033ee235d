"""Ready-made forms for the usual mobilization tasks: the issuing page starts from one and the
street edits it. Texts are translated when the page is drawn, so a task is stored in the
language its issuer works in."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from grids.models import CheckUnit, MobilizationKind


def _q(label, kind, choices=(), required=True) -> dict:
    return {"label": label, "type": kind, "choices": list(choices), "required": required}


TEMPLATES = {
    MobilizationKind.FLOOD: {
        "title": _("Flood-season safety check"),
        "unit": CheckUnit.BUILDING,
        "description": _(
            "Check every building before the rains: basements, drains, old houses, people who "
            "may need to be moved."
        ),
        "questions": [
            _q(_("Water in the basement or semi-basement?"), "yes_no"),
            _q(_("Drains and gutters clear?"), "yes_no"),
            _q(_("Dangerous old rooms or sheds that need evacuation?"), "yes_no"),
            _q(_("People who would need to be moved"), "number", required=False),
            _q(_("Other problems found"), "text", required=False),
        ],
    },
    MobilizationKind.FIVE_PREVENTIONS: {
        "title": _("The five preventions"),
        "unit": CheckUnit.BUILDING,
        "description": _(
            "Fire, theft, fraud, flooding and gas: one look at each in every building."
        ),
        "questions": [
            _q(_("Fire escapes and stairs clear?"), "yes_no"),
            _q(_("Electric bikes charged indoors or in the hall?"), "yes_no"),
            _q(_("Entrance door and locks in order?"), "yes_no"),
            _q(_("Anti-fraud leaflet handed out?"), "yes_no"),
            _q(_("Gas smell or old gas hoses?"), "yes_no"),
            _q(_("Other problems found"), "text", required=False),
        ],
    },
    MobilizationKind.EPIDEMIC: {
        "title": _("Epidemic door-to-door survey"),
        "unit": CheckUnit.HOUSEHOLD,
        "description": _("Knock on every door; note who lives there and what they need."),
        "questions": [
            _q(_("Anybody at home?"), "yes_no"),
            _q(_("People living here"), "number"),
            _q(_("Anybody with fever or a cough?"), "yes_no"),
            _q(
                _("Help needed"),
                "choice",
                [_("None"), _("Medicine"), _("Seeing a doctor"), _("Daily supplies")],
            ),
        ],
    },
    MobilizationKind.VACANT_ROOMS: {
        "title": _("Census of vacant rooms"),
        "unit": CheckUnit.HOUSEHOLD,
        "description": _("Find out how every room is used."),
        "questions": [
            _q(
                _("Use of the room"),
                "choice",
                [_("Self-occupied"), _("Rented"), _("Vacant"), _("Shop or office")],
            ),
            _q(
                _("Vacant for"),
                "choice",
                [_("Not vacant"), _("Under 6 months"), _("6 to 12 months"), _("Over a year")],
            ),
            _q(_("Owner's contact on file?"), "yes_no"),
        ],
    },
    MobilizationKind.FIRE: {
        "title": _("Fire-safety check"),
        "unit": CheckUnit.BUILDING,
        "description": _("Extinguishers, escapes and wiring in every building."),
        "questions": [
            _q(_("Extinguishers present and in date?"), "yes_no"),
            _q(_("Fire escapes and stairs clear?"), "yes_no"),
            _q(_("Loose or old wiring in the common parts?"), "yes_no"),
            _q(_("Other problems found"), "text", required=False),
        ],
    },
    MobilizationKind.OTHER: {
        "title": "",
        "unit": CheckUnit.BUILDING,
        "description": "",
        "questions": [
            _q(_("Checked and in order?"), "yes_no"),
            _q(_("Problems found"), "text", required=False),
        ],
    },
}


def questions_for(kind: str) -> list[dict]:
    """The template's questions in the current language, as a task stores them."""
    template = TEMPLATES.get(kind) or TEMPLATES[MobilizationKind.OTHER]
    return [
        {**q, "label": str(q["label"]), "choices": [str(c) for c in q["choices"]]}
        for q in template["questions"]
    ]
