from django.core.management.base import BaseCommand
from django.db import transaction

from governance.bulk import refresh_planner_statistics
from governance.changelog import change_context
from governance.demo import DEMO_PASSWORD, DemoContext, seeders


class Command(BaseCommand):
    help = "Load the demo street (idempotent): areas, staff, departments, users for every role."

    def handle(self, *args, **options):
        ctx = DemoContext(stdout=self.stdout)
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
