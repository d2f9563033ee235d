from rest_framework.throttling import SimpleRateThrottle


class LoginRateThrottle(SimpleRateThrottle):
    """Token logins per client address (rate ``login`` in ``DEFAULT_THROTTLE_RATES``), stricter
    than the general limits; the login lockout counts failures per user besides."""

    scope = "login"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
