"""Words that mean something else in party work than in case handling carry a context, so the
Chinese can differ (项目「实施中」, 活动「已结束」, 需求「已关闭」) from casework's."""

import pytest
from django.utils import translation

from partybuilding.models import Activity, Demand, DualReport, MicroWish, Project


@pytest.mark.parametrize(
    "label, context, msgid",
    [
        (Project.Status.IN_PROGRESS.label, "party project", "In progress"),
        (Activity.Status.CLOSED.label, "party activity", "Closed"),
        (Demand.Status.CLOSED.label, "party demand", "Closed"),
        (DualReport.Status.WITHDRAWN.label, "party dual report", "Withdrawn"),
        (MicroWish.Status.WITHDRAWN.label, "party wish", "Withdrawn"),
    ],
)
def test_statuses_are_translated_with_their_party_context(label, context, msgid, monkeypatch):
    monkeypatch.setattr(translation._trans, "pgettext", lambda c, m: f"[{c}]{m}")
    assert str(label) == f"[{context}]{msgid}"


def test_the_section_menu_asks_for_the_party_words(client, party, monkeypatch):
    real = translation._trans.pgettext
    monkeypatch.setattr(
        translation._trans,
        "pgettext",
        lambda c, m: f"[{c}]{m}" if c.startswith("party") else real(c, m),
    )
    client.force_login(party.officer_a)
    body = client.get(f"/party/organizations/{party.org_a.pk}/").content.decode()
    assert "[party]Organizations" in body
    assert "[party]Members" in body
