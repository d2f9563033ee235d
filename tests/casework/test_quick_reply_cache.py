"""Quick replies on the case page are asked of a per-process cache first
(``casework.selectors.QUICK_REPLY_USERS``, issue 15): a user who has none costs no query, and a
quick reply written or a role given is offered on the very next page, in scope only.
Transactional: the cache is strict, and keeps nothing while a change waits for its commit."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework import selectors
from casework.models import ResponseTemplate, Source
from casework.services import case_report
from governance.models import Role, RoleAssignment
from governance.processcache import ProcessCache
from grids.models import AreaKind
from tests.factories import AreaFactory

pytestmark = [pytest.mark.usefixtures("in_english"), pytest.mark.django_db(transaction=True)]


@pytest.fixture
def case(tree, categories, crew):
    """A reported case in community A: its dispatcher may accept or reject it."""
    return case_report(
        actor=crew.worker_a,
        title="垃圾堆放",
        category=categories.garbage,
        area=tree.building_a1,
        source=Source.PATROL,
        address="1号楼东侧",
    )


def _page(client, case) -> tuple[str, int]:
    """The case page, and how many of its statements read quick replies."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("casework:detail", args=[case.pk]))
    assert response.status_code == 200
    reads = [q for q in captured if "casework_responsetemplate" in q["sql"]]
    return response.content.decode(), len(reads)


def _reply(**fields) -> ResponseTemplate:
    return ResponseTemplate.objects.create(step="reject", text="经核实不属于受理范围。", **fields)


def test_a_user_without_quick_replies_reads_none_after_the_first_page(client, crew, case):
    client.force_login(crew.dispatcher_a)

    assert _page(client, case)[1] == 1  # whether there are any
    html, reads = _page(client, case)

    assert reads == 0
    assert "data-quick-reply" not in html


def test_a_quick_reply_written_is_offered_on_the_next_page(client, tree, crew, case):
    client.force_login(crew.dispatcher_a)
    assert "data-quick-reply" not in _page(client, case)[0]

    reply = _reply(owner=tree.street, title="不属于受理范围")
    html, _reads = _page(client, case)
    assert 'data-quick-reply="经核实不属于受理范围。"' in html

    reply.is_active = False
    reply.save()
    assert "data-quick-reply" not in _page(client, case)[0]


def test_a_quick_reply_for_every_street_is_offered_on_the_next_page(client, crew, case):
    client.force_login(crew.dispatcher_a)
    _page(client, case)

    _reply(owner=None, title="不属于受理范围")

    assert 'data-quick-reply="经核实不属于受理范围。"' in _page(client, case)[0]


def test_a_quick_reply_of_another_street_is_offered_once_a_role_reaches_it(client, crew, case):
    other = AreaFactory(kind=AreaKind.STREET, name="另一街道")
    _reply(owner=other, title="另一街道的常用语")
    client.force_login(crew.dispatcher_a)

    assert "data-quick-reply" not in _page(client, case)[0]
    assert "data-quick-reply" not in _page(client, case)[0]  # from the cache now

    RoleAssignment.objects.create(user=crew.dispatcher_a, role=Role.VIEWER, area=other)

    assert 'data-quick-reply="经核实不属于受理范围。"' in _page(client, case)[0]


def test_a_quick_reply_written_reaches_every_process(tree, crew):
    # Another process of the portal: its own copy, the same version in the shared cache.
    other = ProcessCache(selectors.QUICK_REPLY_USERS.name, strict=True)
    key = (crew.dispatcher_a.pk, False)
    assert other.get(key, lambda: False) is False

    _reply(owner=tree.street, title="不属于受理范围")

    assert other.get(key, lambda: True) is True
    assert selectors.has_quick_replies(crew.dispatcher_a)
