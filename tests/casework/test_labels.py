"""Labels that say one thing each: the filing form's headings and fields, the deadline box,
the satisfaction recorded in the timeline."""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils import translation

from casework.models import Holder, Status
from casework.services import case_step
from tests.casework.factories import CaseFactory


def _zh(client, user, url):
    client.force_login(user)
    with translation.override("zh-hans"):
        return client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


def test_no_heading_of_the_filing_form_repeats_a_field_label(client, crew, settings_lang_zh):
    html = _zh(client, crew.worker_a, reverse("casework:new"))
    headings = set(re.findall(r"<h2>([^<]+)</h2>", html))
    labels = {
        re.sub(r"<[^>]+>", "", m).strip("* ")
        for m in re.findall(r"<label[^>]*>(.*?)</label>", html, re.S)
    }
    assert headings and labels
    assert headings & labels == set()


def test_the_timeline_shows_the_satisfaction_recorded(
    client, crew, tree, categories, settings_lang_zh
):
    case = CaseFactory(
        area=tree.building_a1,
        category=categories.garbage,
        status=Status.CLOSED,
        holder=Holder.COMMUNITY,
    )
    case_step(
        case=case, actor=crew.dispatcher_a, step="evaluate", satisfaction="basically_satisfied"
    )
    html = _zh(client, crew.dispatcher_a, reverse("casework:detail", args=[case.pk]))
    timeline = html.split('class="timeline"')[1].split("</ol>")[0]
    assert "基本满意" in timeline
