#!/usr/bin/env python
import os
import sys

# Commands that only read the code (never serve requests, sign data or touch production data)
# may run without a production secret key, so that a checkout can check its migrations and
# messages with no environment at all.
OFFLINE_COMMANDS = {"makemigrations", "makemessages", "compilemessages", "spectacular"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
    if len(sys.argv) > 1 and sys.argv[1] in OFFLINE_COMMANDS:
        os.environ.setdefault("ALLOW_DEV_SECRET_KEY", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
