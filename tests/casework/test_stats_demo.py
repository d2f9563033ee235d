"""The demo street's assessment: a scheme in use and its last three months frozen."""

from __future__ import annotations

from casework.demo.assessment import seed_assessment
from casework.stats.models import AssessmentMonth, AssessmentResult, AssessmentScheme, ManualScore
from tests.casework.test_demo import seeded, seeded_street  # noqa: F401 (fixtures)


def test_the_demo_has_a_scheme_and_frozen_months(seeded):  # noqa: F811
    # The scheme scores the cases alone: the seeders between (deadlines, residents, field
    # work) are left out.
    seed_assessment(seeded)
    scheme = AssessmentScheme.objects.get()
    assert scheme.items.count() == 6
    months = AssessmentMonth.objects.filter(scheme=scheme)
    assert months.count() == 3
    assert all(m.frozen_at is not None for m in months)
    communities = AssessmentResult.objects.filter(subject_kind="community")
    assert communities.count() == 3 * 6
    assert ManualScore.objects.exists()
    # Seeding again leaves it as it is.
    seed_assessment(seeded)
    assert AssessmentScheme.objects.count() == 1
    assert AssessmentResult.objects.count() == sum(m.results.count() for m in months)


def test_the_demo_has_a_wall_link_printed_once(seeded_street):  # noqa: F811
    from casework.demo.wall import seed_wall
    from casework.models import WallToken

    said = []
    seeded_street.stdout.write = said.append
    seed_wall(seeded_street)
    token = WallToken.objects.get()
    assert token.area == seeded_street.data["street"] and token.revoked_at is None
    assert any("/wall/" in line for line in said)
    said.clear()
    seed_wall(seeded_street)
    assert WallToken.objects.count() == 1
    assert not any("/wall/" in line for line in said)
