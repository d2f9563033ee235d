from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceType(models.TextChoices):
    """What a service, a resource or a demand is about; matching pairs demands and resources by it."""

    POLICY_PUBLICITY = "policy_publicity", _("Policy publicity")
    MEDIATION = "mediation", _("Dispute mediation")
    ENVIRONMENT = "environment", _("Environment and sanitation")
    ELDERLY_CARE = "elderly_care", _("Elderly care")
    CHILD_CARE = "child_care", _("Children and youth")
    HEALTH = "health", _("Health and medical care")
    CULTURE = "culture", _("Culture and education")
    SAFETY = "safety", _("Safety patrol")
    LEGAL_AID = "legal_aid", _("Legal aid")
    EMPLOYMENT = "employment", _("Employment and assistance")
    OTHER = "other", _("Other")


def mask_phone(phone: str) -> str:
    """The masked phone as governance.privacy shows it (one rule for every app)."""
    from governance.privacy import mask_phone as mask

    return mask(phone)


def mask_id_number(value: str) -> str:
    from governance.privacy import mask_id_number as mask

    return mask(value)


class SteppedStatus:
    """A model whose ``status`` moves along its ``status_steps`` table: each status maps to the
    statuses it may move to, and ``None`` to those a new record may start in.

    The status is a state field: it is changed only by its step (``services.common.status_step``),
    never by an edit, a serializer or the admin. Forms and templates ask ``next_statuses``
    instead of repeating the table.
    """

    state_fields: tuple[str, ...] = ("status",)
    status_steps: dict[str | None, frozenset[str]] = {}

    @property
    def next_statuses(self) -> frozenset[str]:
        return self.status_steps[None if self._state.adding else self.status]

    @classmethod
    def entry_states(cls) -> dict[str, frozenset[str]]:
        """The states a new record may start in, per state field (see governance.api.state)."""
        return {"status": cls.status_steps[None]}


def steps_from(table: dict[str, tuple[frozenset[str], str]], status: str) -> list[str]:
    """The names of the steps of ``table`` (step → statuses it starts from, status it leads to)
    that a record in ``status`` may take."""
    return [name for name, (sources, _target) in table.items() if status in sources]
