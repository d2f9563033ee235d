"""A finished background export in the demo: the center's closed cases of the last 30 days,
written by the same service a worker runs, so that its page and download can be tried."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from casework import export_jobs
from casework.models import CaseExport
from governance.demo import DemoContext
from governance.models import Role


def seed_case_exports(ctx: DemoContext) -> None:
    center = ctx.data["users"][Role.CENTER_SUPERVISOR]
    if CaseExport.objects.filter(owner=center).exists():
        ctx.say("  a case export exists already: left as it is")
        return
    since = timezone.localdate() - timedelta(days=30)
    export = export_jobs.case_export_start(
        owner=center, query=f"status=closed&reported_from={since:%Y-%m-%d}"
    )
    export_jobs.case_export_write(export_id=export.pk)
    export.refresh_from_db()
    ctx.say(f"  one case export of {export.written} closed cases, ready for its owner")
