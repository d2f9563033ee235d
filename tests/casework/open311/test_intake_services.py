"""The intake service: placing a report, checking answers, intake accounts, API keys."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from casework.models import Holder, Source, Status
from casework.open311 import services
from casework.open311.models import Channel, Intake
from casework.open311.placement import place_point, point_in_boundary
from casework.open311.selectors import mask_personal
from casework.services import case_step
from governance.models import RoleAssignment
from tests.casework.factories import jpeg_upload
from tests.casework.open311.conftest import (
    IN_BUILDING_A1,
    IN_COMMUNITY_B_ONLY,
    IN_GRID_A2,
    IN_MICRO_A1,
    IN_NO_COMMUNITY,
    OUTSIDE_STREET,
    box,
)


def _submit(tree, category, *, account=None, **fields):
    return services.intake_submit(
        channel=fields.pop("channel", Channel.RESIDENTS_PAGE),
        within=tree.street,
        fallback_street=tree.street,
        account=account or services.residents_account(tree.street),
        category=category,
        **fields,
    )


# -- placing --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("point", "expected", "placed"),
    [
        (IN_BUILDING_A1, "building_a1", True),
        (IN_MICRO_A1, "micro_a1", True),
        (IN_GRID_A2, "grid_a2", True),
        (IN_COMMUNITY_B_ONLY, "community_b", True),
        (IN_NO_COMMUNITY, None, False),
    ],
)
def test_a_point_is_placed_in_the_lowest_area_that_contains_it(
    mapped, point, expected, placed, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        placement = place_point(within=mapped.street, latitude=point[0], longitude=point[1])

    assert placement.placed is placed
    assert placement.area == (getattr(mapped, expected) if expected else None)
    assert placement.street == mapped.street


def test_a_point_outside_the_jurisdiction_is_refused(mapped):
    with pytest.raises(ValidationError) as refused:
        place_point(within=mapped.street, latitude=OUTSIDE_STREET[0], longitude=OUTSIDE_STREET[1])

    assert "latitude" in refused.value.message_dict


def test_point_in_boundary_knows_holes_and_multipolygons():
    outer = box(0, 0, 10, 10)["coordinates"][0]
    hole = box(4, 4, 6, 6)["coordinates"][0]
    donut = {"type": "Polygon", "coordinates": [outer, hole]}
    islands = {
        "type": "MultiPolygon",
        "coordinates": [[outer], [box(20, 20, 30, 30)["coordinates"][0]]],
    }

    assert point_in_boundary(donut, 2, 2)
    assert not point_in_boundary(donut, 5, 5)
    assert point_in_boundary(islands, 25, 25)
    assert not point_in_boundary(islands, 15, 15)
    assert not point_in_boundary({"type": "Point", "coordinates": [1, 1]}, 1, 1)
    assert not point_in_boundary({"type": "Polygon", "coordinates": [[["x", "y"]]]}, 1, 1)


def test_a_report_that_cannot_be_placed_is_held_by_the_center_and_goes_round_the_loop(
    mapped, public, crew, departments
):
    intake = _submit(
        mapped,
        public.garbage,
        description="街角有垃圾",
        latitude=IN_NO_COMMUNITY[0],
        longitude=IN_NO_COMMUNITY[1],
        attributes={"KIND": ["household"]},
    )

    case = intake.case
    assert (case.area, case.community, case.holder, intake.placed) == (
        mapped.street,
        None,
        Holder.CENTER,
        False,
    )
    assert case.events.get().comment  # the note tells the center why
    # The center takes it like an escalated case; a department's return comes back to it.
    case = case_step(case=case, actor=crew.center, step="accept")
    case = case_step(case=case, actor=crew.center, step="dispatch")
    case = case_step(case=case, actor=crew.handler_a, step="return", comment="不归我们")
    assert (case.status, case.holder) == (Status.ACCEPTED, Holder.CENTER)


def test_only_an_address_goes_to_the_fallback_street(mapped, public):
    intake = _submit(mapped, public.lamp, address="青松路口的路灯", description="路灯不亮")

    assert (intake.case.area, intake.placed, intake.case.holder) == (
        mapped.street,
        False,
        Holder.CENTER,
    )
    assert intake.case.source == Source.RESIDENT


def test_a_building_outside_the_jurisdiction_is_unknown(mapped, public):
    from tests.factories import AreaFactory

    elsewhere = AreaFactory(kind="street", name="外街道")
    building = AreaFactory(kind="building", name="外楼", parent=elsewhere)
    mapped.street.refresh_from_db()  # a new tree renumbers the others

    with pytest.raises(ValidationError) as refused:
        _submit(mapped, public.lamp, address_id=building.code)

    assert "address_id" in refused.value.message_dict


def test_a_category_that_is_not_public_or_not_a_leaf_is_refused(mapped, public):
    for category in (public.parent, public.garbage):
        if category is public.garbage:
            category.is_public = False
            category.save()
        with pytest.raises(ValidationError) as refused:
            _submit(mapped, category, latitude=IN_MICRO_A1[0], longitude=IN_MICRO_A1[1])
        assert "category" in refused.value.message_dict


# -- answers --------------------------------------------------------------------------------
def test_answers_of_every_type_are_checked_and_written_for_staff(mapped, public):
    intake = _submit(
        mapped,
        public.garbage,
        description="很多垃圾",
        latitude=IN_MICRO_A1[0],
        longitude=IN_MICRO_A1[1],
        attributes={
            "KIND": ["debris"],
            "SPOTS": ["road", "yard"],
            "VOLUME": ["2.5"],
            "SINCE": ["2026-05-01T08:00:00+08:00"],
            "BAGS": ["三袋"],
            "DETAILS": ["第一行\n第二行"],
            "TIP": ["ignored: information only"],
            "FMS_REPORT_URL": ["https://fms.example/report/1"],
        },
    )

    assert intake.attributes == {
        "KIND": ["debris"],
        "SPOTS": ["road", "yard"],
        "VOLUME": "2.5",
        "SINCE": "2026-05-01T08:00:00+08:00",
        "BAGS": "三袋",
        "DETAILS": "第一行\n第二行",
    }
    description = intake.case.description
    assert description.startswith("很多垃圾\n\n")
    for line in ("问题 KIND：建筑垃圾", "问题 SPOTS：路边、院内", "问题 SINCE：2026-05-01 08:00"):
        assert line in description
    assert "FMS_REPORT_URL" not in description and "information only" not in description


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({}, "attribute[KIND]"),
        ({"KIND": ["household", "debris"]}, "attribute[KIND]"),
        ({"KIND": ["household"], "SPOTS": ["roof"]}, "attribute[SPOTS]"),
        ({"KIND": ["household"], "VOLUME": ["NaN"]}, "attribute[VOLUME]"),
        ({"KIND": ["household"], "SINCE": ["yesterday"]}, "attribute[SINCE]"),
        ({"KIND": ["household"], "DETAILS": ["长" * 4001]}, "attribute[DETAILS]"),
    ],
)
def test_wrong_answers_are_refused_by_question(mapped, public, answers, field):
    with pytest.raises(ValidationError) as refused:
        _submit(
            mapped,
            public.garbage,
            latitude=IN_MICRO_A1[0],
            longitude=IN_MICRO_A1[1],
            attributes=answers,
        )

    assert field in refused.value.message_dict
    assert not Intake.objects.exists()


def test_photos_are_checked_like_staff_photos(mapped, public):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("evil.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")

    with pytest.raises(ValidationError) as refused:
        _submit(mapped, public.lamp, address="路口", photos=[fake])
    intake = _submit(mapped, public.lamp, address="路口", photos=[jpeg_upload()])

    assert "photos" in refused.value.message_dict
    photo = intake.case.attachments.get()
    assert (photo.kind, photo.uploaded_by) == ("before", intake.case.events.get().actor)


# -- accounts and keys ----------------------------------------------------------------------
def test_the_residents_account_cannot_log_in_and_gets_its_role_back(mapped, public, client):
    account = services.residents_account(mapped.street)
    RoleAssignment.objects.filter(user=account).delete()

    _submit(mapped, public.lamp, address="路口")

    assert not account.is_active and not account.has_usable_password()
    assert RoleAssignment.objects.filter(user=account, area=mapped.street).exists()
    assert services.residents_account(mapped.street) == account


def test_a_key_is_refused_with_the_right_prefix_and_a_wrong_secret(api_key):
    prefix = api_key.raw.split(".")[0]

    with pytest.raises(services.ApiKeyRefused):
        services.api_key_authenticate(raw=f"{prefix}.wrong")
    with pytest.raises(services.ApiKeyRefused):
        services.api_key_authenticate(raw="")
    assert services.api_key_authenticate(raw=api_key.raw) == api_key.key


def test_a_key_owner_must_lie_within_its_jurisdiction(jurisdiction, public):
    from tests.factories import AreaFactory

    other_street = AreaFactory(kind="street", name="别的街道")
    jurisdiction.area.refresh_from_db()  # a new tree renumbers the others

    with pytest.raises(ValidationError) as refused:
        services.api_key_create(name="外部", owner=other_street, jurisdiction=jurisdiction)
    with pytest.raises(ValidationError) as unnamed:
        services.api_key_create(name=" ", owner=jurisdiction.area, jurisdiction=jurisdiction)

    assert "owner" in refused.value.message_dict
    assert "name" in unnamed.value.message_dict


def test_personal_data_in_text_is_masked():
    text = "电话13912345678，身份证11010519900101123X，邮箱 a.b@example.cn，3号楼101"

    assert mask_personal(text) == "电话***，身份证***，邮箱 ***，3号楼101"
