"""Logging helpers referenced from ``settings.LOGGING``."""

import logging


class ClientErrorsBrief(logging.Filter):
    """A refused request (403, 404, 405 …) is one line in the log, not a traceback: the
    traceback of a PermissionDenied says nothing an operator can act on. Server errors keep
    theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
