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
    """138****1234: enough to recognise a number, not enough to call it."""
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_id_number(value: str) -> str:
    if len(value) < 8:
        return "*" * len(value)
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"
