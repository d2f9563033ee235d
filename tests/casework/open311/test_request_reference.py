"""The Open311 request list and request serve the same bytes as before their reads and writers were
made cheaper (branch ``open311``): the served response against ``reference_requests``' (the old
code path, kept) for every parameter the list accepts, its errors included, in JSON and XML, in
Chinese and English, over cases of every kind a public response shows differently."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.utils import timezone, translation

from casework.models import Attachment, CaseEvent, Holder, Status
from casework.open311 import selectors, views
from tests.casework.factories import CaseFactory, CategoryFactory
from tests.casework.open311 import reference_requests as reference

FORMATS = ("json", "xml")


def _event(case, step: str, to_status: str, *, comment: str = "", public=True, ago=timedelta()):
    return CaseEvent.objects.create(
        case=case,
        step=step,
        to_status=to_status,
        comment=comment,
        is_public=public,
        created_at=case.reported_at + timedelta(hours=1) - ago,
    )


@pytest.fixture
def varied(tree, categories, departments, public, jurisdiction, crew):
    """Public requests of every kind the response writes differently, one case of a category
    that is not public and one older than 90 days."""
    now = timezone.now()
    garbage, lamp = categories.garbage, categories.lamp  # garbage has a service notice
    hidden = CategoryFactory(code="0201", name="内部类别", is_public=False)
    made = {}

    def case(name, *, hours, **fields):
        fields.setdefault("area", tree.building_a1)
        fields.setdefault("category", lamp)
        fields.setdefault("description", "")
        made[name] = CaseFactory(reported_at=now - timedelta(hours=hours), **fields)
        return made[name]

    case(
        "markup",
        hours=1,
        category=garbage,
        address="",
        description='他说 "快来" <b>&amp; 电话 13912345678，邮箱 li.si@example.cn',
        latitude=Decimal("39.903000"),
        longitude=Decimal("116.403000"),
        due_at=now + timedelta(days=1),
    )
    case(
        "center",
        hours=2,
        area=tree.grid_a1,
        holder=Holder.CENTER,
        address='东门 "A" <区> & 西门',
        description="> 只有尖括号",
    )
    case("accepted", hours=3, status=Status.ACCEPTED, area=tree.micro_a1, description="路灯坏了")
    case(
        "dispatched",
        hours=4,
        status=Status.DISPATCHED,
        holder=Holder.DEPARTMENT,
        department=departments.a,
        area=tree.building_b1,
        description="身份证 11010519491231002X 丢了",
    )
    case(
        "in progress",
        hours=5,
        status=Status.IN_PROGRESS,
        holder=Holder.DEPARTMENT,
        department=departments.b,
        description="控制\x01字符\x0b在中间",
    )
    # Open again with the closing time of an earlier round left: its update time is not that.
    case(
        "handled",
        hours=6,
        status=Status.HANDLED,
        holder=Holder.CENTER,
        closed_at=now - timedelta(hours=5),
    )
    case("control only", hours=7, description="\x0b\x01")
    photo = case(
        "closed, photo",
        hours=8,
        category=garbage,
        status=Status.CLOSED,
        holder=Holder.NONE,
        closed_at=now - timedelta(hours=2),
        due_at=now - timedelta(hours=3),  # a deadline kept from its last stage: not expected
        description="Lamp post & <wire> — 英文 and 中文",
    )
    event = _event(photo, "verify_pass", Status.CLOSED, comment="核查通过 13800001111")
    _event(photo, "note", Status.CLOSED, comment="内部意见", public=False, ago=-timedelta(hours=1))
    Attachment.objects.create(
        case=photo,
        event=event,
        kind=Attachment.Kind.AFTER,
        image="photos/a.jpg",
        thumbnail="photos/a-small.jpg",
        width=32,
        height=24,
        size=100,
        uploaded_by=crew.center,
        created_at=event.created_at,
    )
    stepped = case(
        "rejected, no closing time",
        hours=9,
        status=Status.REJECTED,
        holder=Holder.NONE,
        area=tree.community_a,
    )
    _event(stepped, "reject", Status.REJECTED)  # no comment: the step's label is the note
    # A long text without punctuation, personal data next to other personal data: a phone
    # number run into an e-mail address, two addresses joined by "+", an ID in a word.
    long_text = (
        "小区东门口垃圾堆放多日无人清理味道很大请尽快处理联系电话" * 3
        + "13912345678abc@x.cn a@b.cn+c@d.cn 号码013912345678 身份证110105194912310021号"
        + " 139123456789 邮件 王@例子.中国 结尾 x@y"
    )
    case("long text", hours=11, status=Status.ACCEPTED, description=long_text)
    # The note is the latest public comment, though later public steps said nothing; photos:
    # the first of a public step, not an earlier one of an internal step.
    noted = case(
        "noted earlier",
        hours=12,
        status=Status.IN_PROGRESS,
        holder=Holder.DEPARTMENT,
        department=departments.a,
        latitude=Decimal("39.900100"),
        longitude=Decimal("116.400000"),
    )
    accepted = _event(
        noted, "accept", Status.ACCEPTED, comment="已受理，联系 li@example.cn", ago=timedelta(3)
    )
    internal = _event(noted, "note", Status.ACCEPTED, public=False, ago=timedelta(hours=60))
    dispatched = _event(noted, "dispatch", Status.DISPATCHED, ago=timedelta(hours=50))
    _event(noted, "acknowledge", Status.IN_PROGRESS, ago=timedelta(hours=40))
    _event(noted, "note", Status.IN_PROGRESS, comment="内部：13800001111", public=False)
    for event, name in [(internal, "x"), (dispatched, "b"), (dispatched, "c"), (accepted, "d")]:
        Attachment.objects.create(
            case=noted,
            event=event,
            kind=Attachment.Kind.BEFORE,
            image=f"photos/{name}.jpg",
            thumbnail=f"photos/{name}-small.jpg",
            width=32,
            height=24,
            size=100,
            uploaded_by=crew.center,
            created_at=dispatched.created_at if name != "x" else internal.created_at,
        )
    silent = case("steps without comments", hours=13, status=Status.DISPATCHED)
    _event(silent, "accept", Status.ACCEPTED, ago=timedelta(hours=2))
    _event(silent, "dispatch", Status.DISPATCHED, ago=timedelta(hours=1))
    case("hidden", hours=10, category=hidden)
    case("old", hours=24 * 100)
    return made


def _both(path: str, params: dict, fmt: str, language: str, view, **kwargs):
    request = RequestFactory().get(f"/open311/v2/{path}.{fmt}", params)
    with translation.override(language):
        served = view(request, fmt=fmt, **kwargs)
        expected = getattr(reference, view.__name__)(request, fmt=fmt, **kwargs)
    return served, expected


def _same(served, expected):
    assert (served.status_code, served["Content-Type"]) == (
        expected.status_code,
        expected["Content-Type"],
    )
    assert served.content == expected.content


def _w3c(moment) -> str:
    return moment.isoformat(timespec="seconds")


def _queries(varied) -> list[dict]:
    now = timezone.now()
    ids = ",".join(str(c.pk) for c in varied.values())
    return [
        {},
        {"jurisdiction_id": "demo.example.cn"},
        {"jurisdiction_id": "elsewhere.example.cn"},
        {"status": "open"},
        {"status": "closed"},
        {"status": "OPEN, closed"},
        {"status": "pending"},
        {"service_code": "0101"},
        {"service_code": " 0102 ,0101,"},
        {"service_code": "9999"},
        {"service_code": "0201"},
        {"start_date": _w3c(now - timedelta(days=120))},
        {"end_date": _w3c(now - timedelta(hours=3))},
        {"start_date": _w3c(now - timedelta(hours=5)), "end_date": _w3c(now)},
        {"start_date": timezone.localdate().isoformat()},
        {"start_date": _w3c(timezone.localtime() - timedelta(days=1)).replace("+", " ")},
        {"start_date": "2026-01-01T00:00:00"},
        {"start_date": _w3c(now - timedelta(days=91)), "end_date": _w3c(now)},
        {"start_date": _w3c(now), "end_date": _w3c(now - timedelta(days=1))},
        {"service_request_id": ids},
        {"service_request_id": ids, "status": "open", "service_code": "0101"},
        {"service_request_id": f"{varied['hidden'].pk}"},
        {"service_request_id": "1,x"},
        {"page": "2", "page_size": "3"},
        {"page": "5", "page_size": "3"},
        {"page": "0"},
        {"page_size": "5000"},
        {"page": "abc"},
        {"status": "open", "page_size": "2", "service_code": "0102"},
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_the_request_list_serves_the_old_bytes_for_every_parameter(varied, fmt, language):
    for params in _queries(varied):
        served, expected = _both("requests", params, fmt, language, views.requests)

        _same(served, expected)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_request_serves_the_old_bytes(varied, fmt, language):
    for pk in [*(str(c.pk) for c in varied.values()), "999999", "abc"]:
        served, expected = _both(f"requests/{pk}", {}, fmt, language, views.request_detail, pk=pk)

        _same(served, expected)


def test_the_reference_sees_every_kind_of_request(varied):
    """The data exercises what it is meant to: every public case in the list, the photo's URL,
    the notes, the characters XML cannot carry, escaped markup, an empty list."""
    listed, _ = _both("requests", {}, "json", "zh-hans", views.requests)
    xml, _ = _both("requests", {}, "xml", "zh-hans", views.requests)
    empty, _ = _both("requests", {"service_code": "9999"}, "xml", "zh-hans", views.requests)

    rows = {row["service_request_id"]: row for row in json.loads(listed.content)}
    names = {str(case.pk): name for name, case in varied.items()}
    assert sorted(names[pk] for pk in rows) == sorted(set(varied) - {"hidden", "old"})
    photo = rows[str(varied["closed, photo"].pk)]
    assert photo["media_url"].startswith("http://testserver/")
    assert photo["status_notes"] == "核查通过 ***"
    assert rows[str(varied["rejected, no closing time"].pk)]["status_notes"]
    assert rows[str(varied["markup"].pk)]["lat"] == 39.903
    assert b"<description />" in xml.content  # the description of control characters only
    assert b"&lt;b&gt;&amp;amp;" in xml.content and b'"A"' in xml.content
    assert empty.content.endswith(b"<service_requests />")
    noted = rows[str(varied["noted earlier"].pk)]
    assert noted["status_notes"] == "已受理，联系 ***"
    first_public = Attachment.objects.get(image="photos/b.jpg")
    assert noted["media_url"].endswith(f"/photos/{first_public.pk}/full.jpg")
    described = rows[str(varied["long text"].pk)]["description"]
    assert "13912345678abc" not in described and " ****** " in described and "x@y" in described
    assert rows[str(varied["steps without comments"].pk)]["status_notes"]


MASKED_TEXTS = [
    "",
    "路灯坏了",
    "电话13912345678，身份证11010519900101123X，邮箱 a.b@example.cn，3号楼101",
    "13912345678abc@x.cn",
    "a13912345678@x.cn",
    "a@b.cn+c@d.cn",
    "x@y 和 x@y.",
    "013912345678 139123456789 1391234567",
    "11010519491231002X1 11010519491231002Xa 11010519491231002x",
    "...@..cn -@-.- +@a.b.c.d",
    "电话：13912345678。" * 20,
    "小区东门口垃圾堆放多日无人清理味道很大请尽快处理联系电话" * 10,
]


@pytest.mark.parametrize("text", MASKED_TEXTS)
def test_personal_data_is_masked_as_before(text):
    assert selectors.mask_personal(text) == reference.mask_personal(text)


# The pattern before stop 29: its Unicode \w took the Chinese words on either side of an
# address as part of it, all the way to the nearest punctuation.
_OLD_PERSONAL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
MASKED_UNLIKE_BEFORE = [
    ("很长的一段话" * 50 + "li@example.cn", "很长的一段话" * 50 + "***"),
    ("联系邮箱li@example.cn，谢谢", "联系邮箱***，谢谢"),
    ("请发到张三zhang.san+wy@163.com或来电", "请发到张三***或来电"),
    ("邮箱是li_si@例子.中国，请回复", "邮箱是***，请回复"),
    # An internationalized local part stays; its domain does not.
    ("请联系王@例子.中国", "请联系王***"),
]


@pytest.mark.parametrize("text, masked", MASKED_UNLIKE_BEFORE)
def test_the_words_around_an_address_are_kept(text, masked):
    assert selectors.mask_personal(text) == masked
    assert reference.mask_personal(text) == masked
    assert _OLD_PERSONAL.sub("***", text) != masked
