from django.core.management.base import BaseCommand, CommandError

from governance.models import Role, RoleAssignment, User


class Command(BaseCommand):
    help = (
        "List the logins and their roles (every grid worker, dispatcher and handler of the demo)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--role", help=f"only this role: {', '.join(Role.values)}")

    def handle(self, *args, role=None, **options):
        if role is not None and role not in Role.values:
            raise CommandError(f"Unknown role {role!r}: choose one of {', '.join(Role.values)}.")
        assignments = RoleAssignment.objects.select_related("user", "area", "department").filter(
            user__is_active=True
        )
        if role:
            assignments = assignments.filter(role=role)
        labels = dict(Role.choices)
        rows = [
            (a.user.username, str(labels[a.role]), _scope_name(a), a.user.full_name)
            for a in assignments.order_by("role", "user__username")
        ]
        if role is None:
            rows[:0] = [
                (u.username, "superuser", "Django admin", u.full_name)
                for u in User.objects.filter(is_superuser=True, is_active=True).order_by("username")
            ]
        width = max((len(r[0]) for r in rows), default=8)
        for username, label, scope, name in rows:
            self.stdout.write(f"{username:<{width}}  {label} · {scope} · {name}")
        self.stdout.write(f"{len(rows)} logins.")


def _scope_name(assignment) -> str:
    scope = assignment.area or assignment.department
    return scope.name if scope is not None else "—"
