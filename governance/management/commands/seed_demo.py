from django.core.management.base import BaseCommand
from django.db import transaction

from governance.bulk import refresh_planner_statistics
from governance.changelog import change_context
from governance.demo import DEMO_PASSWORD, DemoContext, seeders


class Command(BaseCommand):
    help = "Load the demo street (idempotent): areas, staff, departments, users for every role."

    def add_arguments(self, parser):
        parser.add_argument(
            "--residents",
            type=int,
            default=None,
            help="About how many residents to register (default: about 100,000).",
        )

    def handle(self, *args, **options):
        ctx = DemoContext(stdout=self.stdout)
        if options["residents"] is not None:
            ctx.data["residents"] = max(0, options["residents"])
        with change_context():
            for _order, name, seeder in seeders():
                self.stdout.write(f"· {name} …")
                with transaction.atomic():
                    seeder(ctx)
        refresh_planner_statistics()
        self.stdout.write(
            self.style.SUCCESS("Demo street ready. Log in at http://127.0.0.1:8000/ as:")
        )
        width = max((len(u) for u, _, _ in ctx.logins), default=8)
        for username, role, scope in ctx.logins:
            self.stdout.write(f"  {username:<{width}}  {DEMO_PASSWORD}   {role} · {scope}")
        self.stdout.write(
            "Every demo login (each grid, community and department), same password: "
            "manage.py demo_logins  (e.g. --role grid_worker)"
        )
