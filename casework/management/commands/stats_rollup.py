from django.core.management.base import BaseCommand
from django.utils import timezone

from casework.stats import periods, rollup
from grids.models import Area, AreaKind


class Command(BaseCommand):
    help = (
        "The statistics rollups: catch up with changed cases (default), build them again from "
        "every case (--rebuild, after a bulk load), or compare them with the direct count "
        "(--check, this month and the last, per street)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true")
        parser.add_argument("--check", action="store_true")

    def handle(self, *args, **options):
        if options["rebuild"]:
            self.stdout.write(f"{rollup.rebuild():,} cases counted into the rollups.")
        else:
            self.stdout.write(
                f"{rollup.catch_up(margin=rollup.TASK_MARGIN):,} cases brought up to date."
            )
        if not options["check"]:
            return
        now = timezone.now()
        this_month = periods.preset("month")
        problems = 0
        for street in Area.objects.filter(kind=AreaKind.STREET).order_by(*Area.tree_order()):
            for period in (this_month, this_month.previous()):
                lines = rollup.differences(street, period, now)
                problems += len(lines)
                for line in lines:
                    self.stdout.write(f"{street.name} {period.first:%Y-%m}: {line}")
        if problems:
            self.stderr.write(self.style.ERROR(f"{problems} differences."))
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS("The rollups agree with the direct count."))
