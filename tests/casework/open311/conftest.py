"""Public intake fixtures: boundaries on the test street, a jurisdiction, public categories with
a service of every question type, an API key, and the GeoReport v2 schema documents."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
from lxml import etree
from referencing import Registry, Resource

from casework.open311 import services
from casework.open311.models import (
    Datatype,
    Jurisdiction,
    ServiceAttribute,
    ServiceAttributeValue,
    ServiceDefinition,
    ServiceType,
)
from governance import notifications
from grids.models import Area
from tests.isolation import clear_cache

SCHEMAS = Path(__file__).resolve().parent / "schemas"


def box(west, south, east, north) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[west, south], [east, south], [east, north], [west, north], [west, south]]
        ],
    }


# (west, south, east, north) of the test street's nodes. Community B leaves a strip of the
# street uncovered in its north-east corner (39.93–39.94): a point there is in no community.
BOXES = {
    "street": (116.40, 39.90, 116.44, 39.94),
    "community_a": (116.40, 39.90, 116.42, 39.94),
    "community_b": (116.42, 39.90, 116.44, 39.93),
    "grid_a1": (116.40, 39.90, 116.42, 39.92),
    "grid_a2": (116.40, 39.92, 116.42, 39.94),
    "grid_b1": (116.42, 39.90, 116.44, 39.92),
    "micro_a1": (116.40, 39.90, 116.41, 39.91),
    "micro_b1": (116.42, 39.90, 116.43, 39.91),
    "building_a1": (116.402, 39.902, 116.404, 39.904),
    "building_b1": (116.422, 39.902, 116.424, 39.904),
}
# Points (latitude, longitude) in each place.
IN_BUILDING_A1 = (39.903, 116.403)
IN_MICRO_A1 = (39.908, 116.408)
IN_GRID_A2 = (39.93, 116.41)
IN_COMMUNITY_B_ONLY = (39.925, 116.43)
IN_NO_COMMUNITY = (39.935, 116.43)
OUTSIDE_STREET = (39.95, 116.45)


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Rate-limit counters live in the cache: every test starts with none."""
    clear_cache()
    yield
    clear_cache()


class FakeSms:
    """An SMS sender for the tests: it keeps what it was asked to send."""

    name = "sms"
    label = "SMS"

    def __init__(self):
        self.sent = []

    def address_for(self, user) -> str:
        return ""

    def send(self, notification, address):
        self.sent.append((address, notification.body))


@pytest.fixture
def sms():
    """An SMS channel installed for the test (the portal ships none)."""
    channel = FakeSms()
    notifications.register_channel(channel)
    yield channel
    notifications._channels.pop("sms", None)


@pytest.fixture
def mapped(tree):
    """The test street with boundaries and centre points on every node down to buildings."""
    for name, (west, south, east, north) in BOXES.items():
        area = getattr(tree, name)
        Area.objects.filter(pk=area.pk).update(
            boundary=box(west, south, east, north),
            latitude=round((south + north) / 2, 6),
            longitude=round((west + east) / 2, 6),
        )
        area.refresh_from_db()
    return tree


@pytest.fixture
def jurisdiction(mapped):
    return Jurisdiction.objects.create(jurisdiction_id="demo.example.cn", area=mapped.street)


@pytest.fixture
def public(categories):
    """暴露垃圾 public with a question of every datatype; 路灯不亮 public, batch, no questions;
    the parent 市容环境 is not a service (not a leaf)."""
    categories.garbage.is_public = True
    categories.garbage.description = "生活垃圾、建筑垃圾露天堆放"
    categories.garbage.save()
    categories.lamp.is_public = True
    categories.lamp.save()
    garbage = ServiceDefinition.objects.create(
        category=categories.garbage, keywords="垃圾,脏乱", notice="环卫所将在 24 小时内清运。"
    )
    questions = [
        (
            "KIND",
            Datatype.SINGLEVALUELIST,
            True,
            [("household", "生活垃圾"), ("debris", "建筑垃圾")],
        ),
        ("SPOTS", Datatype.MULTIVALUELIST, False, [("road", "路边"), ("yard", "院内")]),
        ("VOLUME", Datatype.NUMBER, False, []),
        ("SINCE", Datatype.DATETIME, False, []),
        ("BAGS", Datatype.STRING, False, []),
        ("DETAILS", Datatype.TEXT, False, []),
    ]
    for order, (code, datatype, required, options) in enumerate(questions, start=1):
        attribute = ServiceAttribute.objects.create(
            service=garbage,
            code=code,
            order=order,
            description=f"问题 {code}",
            datatype=datatype,
            required=required,
        )
        for position, (key, name) in enumerate(options, start=1):
            ServiceAttributeValue.objects.create(
                attribute=attribute, key=key, name=name, order=position
            )
    ServiceAttribute.objects.create(
        service=garbage,
        code="TIP",
        order=len(questions) + 1,
        description="夜间请拨打 12345。",
        datatype=Datatype.STRING,
        variable=False,
    )
    ServiceDefinition.objects.create(category=categories.lamp, type=ServiceType.BATCH)
    return categories


@pytest.fixture
def api_key(jurisdiction, public, crew):
    key, raw = services.api_key_create(
        name="12345 平台", owner=jurisdiction.area, jurisdiction=jurisdiction, rate_limit=50
    )
    return SimpleNamespace(key=key, raw=raw)


# -- the schema documents -------------------------------------------------------------------
def _registry() -> Registry:
    resources = []
    for path in SCHEMAS.glob("*.json"):
        document = json.loads(path.read_text())
        resources.append((document["$id"], Resource.from_contents(document)))
    return Registry().with_resources(resources)


_REGISTRY = _registry()


def check_json(name: str, document) -> None:
    """Validate ``document`` against ``schemas/<name>.json`` (raises on any deviation)."""
    schema = json.loads((SCHEMAS / f"{name}.json").read_text())
    validator = jsonschema.Draft202012Validator(schema, registry=_REGISTRY)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def check_xml(name: str, body: bytes) -> etree._Element:
    """Validate ``body`` against ``schemas/<name>.xsd``; returns the parsed root."""
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>'), body[:60]
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / f"{name}.xsd")))
    root = etree.fromstring(body)
    assert schema.validate(root), schema.error_log
    return root
