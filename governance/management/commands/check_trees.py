from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from governance.models import TreeModel


class Command(BaseCommand):
    help = "Check every tree model's nested-set fields; with --rebuild, rebuild broken trees."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="rebuild the trees found broken")

    def handle(self, *args, rebuild=False, **options):
        broken = []
        for model in apps.get_models():
            if not issubclass(model, TreeModel):
                continue
            problems = model.check_tree()
            label = model._meta.label
            if not problems:
                self.stdout.write(self.style.SUCCESS(f"{label}: sound"))
                continue
            for problem in problems:
                self.stdout.write(self.style.WARNING(f"{label}: {problem}"))
            if rebuild:
                model.rebuild_tree()
                after = model.check_tree()
                if after:
                    broken.append(label)
                    self.stdout.write(self.style.ERROR(f"{label}: still broken after rebuild"))
                else:
                    self.stdout.write(self.style.SUCCESS(f"{label}: rebuilt"))
            else:
                broken.append(label)
        if broken:
            raise CommandError(f"broken trees: {', '.join(broken)} (run with --rebuild)")
