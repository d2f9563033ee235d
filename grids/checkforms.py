"""The short form a mobilization task defines, and the answers of a check report against it.

A task's ``questions`` is a list of dicts::

    {"key": "q1", "label": "地下室是否积水", "type": "yes_no", "required": true,
     "choices": [], "min": null, "max": null}

with ``type`` one of :data:`QUESTION_TYPES`. :func:`clean_questions` checks a definition (the
issuing form and the API send the same shape) and numbers the keys; :func:`clean_answers` checks a
report's answers against it. Both raise ValidationError naming the question, never a 500, and this
module is the only place that knows the shape.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

QUESTION_TYPES = {
    "yes_no": gettext_lazy("Yes or no"),
    "choice": gettext_lazy("One of several choices"),
    "number": pgettext_lazy("question type", "Number"),
    "text": gettext_lazy("Short text"),
}
MAX_QUESTIONS = 12
MAX_CHOICES = 10
MAX_LABEL = 100
MAX_CHOICE_LABEL = 30
MAX_TEXT_ANSWER = 500
# Numbers people count on a doorstep: residents, rooms, people to move.
NUMBER_RANGE = (Decimal("-1000000"), Decimal("1000000"))
YES, NO = "yes", "no"


def clean_questions(raw) -> list[dict]:
    """A checked copy of the question list ``raw``; raises ValidationError on ``questions``."""
    if not isinstance(raw, list) or not raw:
        raise ValidationError({"questions": _("Give the form at least one question.")})
    if len(raw) > MAX_QUESTIONS:
        raise ValidationError(
            {
                "questions": _("At most %(n)d questions, so that a check takes minutes.")
                % {"n": MAX_QUESTIONS}
            }
        )
    problems: list[str] = []
    cleaned: list[dict] = []
    seen: set[str] = set()
    for index, item in enumerate(raw, start=1):
        where = _("Question %(n)d") % {"n": index}
        if not isinstance(item, dict):
            problems.append(_("%(where)s is not a question.") % {"where": where})
            continue
        label = str(item.get("label") or "").strip()
        kind = item.get("type")
        if not label:
            problems.append(_("%(where)s has no text.") % {"where": where})
        elif len(label) > MAX_LABEL:
            problems.append(
                _("%(where)s is longer than %(n)d characters.") % {"where": where, "n": MAX_LABEL}
            )
        elif label in seen:
            problems.append(_("%(where)s repeats an earlier question.") % {"where": where})
        seen.add(label)
        if kind not in QUESTION_TYPES:
            problems.append(_("%(where)s has an unknown type.") % {"where": where})
            continue
        question = {
            "key": f"q{index}",
            "label": label,
            "type": kind,
            "required": bool(item.get("required", True)),
            "choices": [],
            "min": None,
            "max": None,
        }
        if kind == "choice":
            choices = _choices(item.get("choices"))
            if len(choices) < 2:
                problems.append(_("%(where)s needs at least two choices.") % {"where": where})
            elif len(choices) > MAX_CHOICES:
                problems.append(
                    _("%(where)s has more than %(n)d choices.") % {"where": where, "n": MAX_CHOICES}
                )
            elif any(len(c) > MAX_CHOICE_LABEL for c in choices):
                problems.append(
                    _("%(where)s has a choice longer than %(n)d characters.")
                    % {"where": where, "n": MAX_CHOICE_LABEL}
                )
            question["choices"] = choices
        if kind == "number":
            low, high = _number(item.get("min")), _number(item.get("max"))
            if low is False or high is False:
                problems.append(_("%(where)s has a limit that is not a number.") % {"where": where})
            elif low is not None and high is not None and low > high:
                problems.append(
                    _("%(where)s: the smallest value is above the largest.") % {"where": where}
                )
            else:
                question["min"] = _plain(low)
                question["max"] = _plain(high)
        cleaned.append(question)
    if problems:
        raise ValidationError({"questions": problems})
    return cleaned


def clean_answers(questions: list[dict], raw) -> dict:
    """The answers of a report, checked against ``questions``: a dict of key → value (yes/no as
    "yes"/"no", a choice's text, a number, a text). Raises ValidationError with one entry per
    question key that is wrong; answers to unknown keys are refused too."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ValidationError({"answers": _("The answers are malformed.")})
    errors: dict[str, list[str]] = {}
    answers: dict[str, object] = {}
    keys = {q["key"] for q in questions}
    unknown = sorted(str(k) for k in raw if k not in keys)
    if unknown:
        errors["answers"] = [
            _("These answers belong to no question: %(keys)s.") % {"keys": ", ".join(unknown)}
        ]
    for question in questions:
        key = question["key"]
        value = raw.get(key)
        if isinstance(value, str):
            value = value.strip()
        if value in (None, ""):
            if question["required"]:
                errors[key] = [_("Answer this question.")]
            continue
        problem, cleaned = _answer(question, value)
        if problem:
            errors[key] = [problem]
        else:
            answers[key] = cleaned
    if errors:
        raise ValidationError(errors)
    return answers


def answer_text(question: dict, value) -> str:
    """An answer as people read it (for pages and exports)."""
    if value is None or value == "":
        return ""
    if question["type"] == "yes_no":
        return _("Yes") if value == YES else _("No")
    return str(value)


def _answer(question: dict, value) -> tuple[str | None, object]:
    kind = question["type"]
    if kind == "yes_no":
        if value is True or value in (YES, "true", "1", 1):
            return None, YES
        if value is False or value in (NO, "false", "0", 0):
            return None, NO
        return _("Answer yes or no."), None
    if kind == "choice":
        if value not in question["choices"]:
            return _("Choose one of the given answers."), None
        return None, value
    if kind == "number":
        number = _number(value)
        if number is None or number is False:
            return _("Give a number."), None
        low = _number(question.get("min"))
        high = _number(question.get("max"))
        if (low is not None and number < low) or (high is not None and number > high):
            return _("Give a number from %(min)s to %(max)s.") % {
                "min": _plain(low) if low is not None else "…",
                "max": _plain(high) if high is not None else "…",
            }, None
        return None, _plain(number)
    text = str(value)
    if len(text) > MAX_TEXT_ANSWER:
        return _("At most %(n)d characters.") % {"n": MAX_TEXT_ANSWER}, None
    return None, text


def _choices(value) -> list[str]:
    if isinstance(value, str):
        # The issuing form takes choices separated by 、 , ， ; or new lines.
        for sep in ("、", "，", ";", "；", "\n"):
            value = value.replace(sep, ",")
        value = value.split(",")
    if not isinstance(value, list):
        return []
    result: list[str] = []
    for choice in value:
        text = str(choice).strip()
        if text and text not in result:
            result.append(text)
    return result


def _number(value) -> Decimal | bool | None:
    """The number in ``value``, None when empty, False when it is not a number."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return False
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return False
    if not number.is_finite() or not NUMBER_RANGE[0] <= number <= NUMBER_RANGE[1]:
        return False
    return number


def _plain(number: Decimal | None) -> int | float | None:
    """A JSON-friendly number: an int when whole."""
    if number is None:
        return None
    return int(number) if number == number.to_integral_value() else float(number)
