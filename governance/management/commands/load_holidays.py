from django.core.management.base import BaseCommand

from governance.changelog import change_context
from governance.workclock import calendar_load_from_package, years_without_calendar


class Command(BaseCommand):
    help = (
        "Copy public holidays and adjusted working days from the chinese-calendar package into "
        "the holiday calendar. Dates already entered are kept unless --overwrite."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="Replace entered dates with the package's kind and name where they differ.",
        )

    def handle(self, *args, overwrite: bool = False, **options):
        with change_context():
            created, updated = calendar_load_from_package(overwrite=overwrite)
        self.stdout.write(
            self.style.SUCCESS(f"{created} calendar day(s) added, {updated} updated.")
        )
        missing = years_without_calendar()
        if missing:
            years = ", ".join(str(year) for year in missing)
            self.stdout.write(
                self.style.WARNING(
                    f"No calendar yet for {years}: enter the State Council's schedule in the admin."
                )
            )
