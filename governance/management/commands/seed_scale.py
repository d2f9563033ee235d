import os
import time

from django.core.management.base import BaseCommand, CommandError

from governance.scale import AlreadyLoaded, Sizes, seed_scale


class Command(BaseCommand):
    help = (
        "Build a district at scale (bulk loaded): 10 streets, ~100 communities, ~3,000 "
        "micro-grids, ~30,000 buildings, ~300,000 residents, ~100,000 party members and "
        "1,000,000 cases over three years with their events, reminders and notifications."
    )

    def add_arguments(self, parser):
        defaults = Sizes()
        for name, help_text in (
            ("streets", "streets in the district"),
            ("communities", "communities per street"),
            ("grids", "grids per community"),
            ("micro_grids", "micro-grids per grid"),
            ("buildings", "buildings per micro-grid"),
            ("residents", "residents in all"),
            ("party_members", "party members in all"),
            ("cases", "cases in all"),
            ("years", "years of cases, up to now"),
            ("seed", "random seed (same seed, same district)"),
        ):
            parser.add_argument(
                f"--{name.replace('_', '-')}",
                type=int,
                default=getattr(defaults, name),
                help=f"{help_text} (default {getattr(defaults, name):,})",
            )
        parser.add_argument(
            "--processes",
            type=int,
            default=os.cpu_count() or 1,
            help="worker processes for the cases and the rollups on PostgreSQL "
            "(default: the CPUs, here %(default)s)",
        )

    def handle(self, *args, **options):
        sizes = Sizes(**{name: options[name] for name in Sizes.__dataclass_fields__})
        for name in Sizes.__dataclass_fields__:
            minimum = 0 if name in ("residents", "party_members", "cases", "seed") else 1
            if getattr(sizes, name) < minimum:
                raise CommandError(f"--{name.replace('_', '-')} must be at least {minimum}.")
        if options["processes"] < 1:
            raise CommandError("--processes must be at least 1.")
        started = time.perf_counter()
        try:
            report = seed_scale(sizes, processes=options["processes"], log=self.stdout.write)
        except AlreadyLoaded as exc:
            raise CommandError(
                f"The scale district ({exc}) is already loaded; use a fresh database."
            ) from exc
        width = max(len(k) for k in report.counts)
        for key, value in report.counts.items():
            self.stdout.write(f"  {key:<{width}}  {value:>12,}")
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items())
        self.stdout.write(
            self.style.SUCCESS(f"Done in {time.perf_counter() - started:.1f} s ({steps}).")
        )
