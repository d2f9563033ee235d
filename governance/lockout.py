"""The login lockout, django-axes, as the portal installs it (``INSTALLED_APPS``): under a name of
the portal's language, and with the words of its admin translated. django-axes ships no Chinese
catalogue; the words of its admin, where a superuser reads failed logins and unlocks a locked-out
user, are marked here so that the portal's own catalogue translates them (Django reads the
project's catalogue before any app's)."""

from axes.apps import AppConfig as AxesConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class LoginLockoutConfig(AxesConfig):
    verbose_name = _("Login lockouts")


def client_address(request) -> str:
    """The caller's address (``AXES_CLIENT_IP_CALLABLE``): ``REMOTE_ADDR``, or behind
    ``TRUSTED_PROXY_COUNT`` proxies the entry of X-Forwarded-For that the outermost of them wrote;
    entries to its left come from the client and may be forged. DRF's rate limits read the
    address the same way (``NUM_PROXIES``)."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count and forwarded:
        addresses = [address.strip() for address in forwarded.split(",")]
        return addresses[-min(count, len(addresses))]
    return request.META.get("REMOTE_ADDR", "")


AXES_ADMIN_WORDS = (
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("Access Attempt"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("Locked Out"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Not set"),
    gettext_noop("Attempt Remaining"),
)
