"""No serializer of any app lets a client write a state field.

State fields are declared once, on the model (``state_fields``; ``entry_states()`` for a record
that may start in more than one state). This walks every DRF endpoint of the URL configuration
that takes a body (POST, PUT, PATCH), asks it for the serializer it reads the body with (its
serializer class or its documented request serializer) and fails when a field of that
serializer writes a state field of the serializer's model. On create, a field may take a state
only among the model's entry states.
"""

import pytest
from django.apps import apps
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator
from drf_spectacular.settings import spectacular_settings
from rest_framework import serializers

from governance.api.state import entry_states_of, field_source, state_fields_of
from partybuilding.models import PartyMember, Project

WRITES = ("POST", "PUT", "PATCH")


def _serializer(found, view):
    if found is None or isinstance(found, dict):
        return None
    if isinstance(found, type):
        found = found(context={"request": view.request, "view": view})
    if isinstance(found, serializers.ListSerializer):
        found = found.child
    return found if isinstance(found, serializers.BaseSerializer) else None


def write_endpoints():
    """(path, method, serializer name, state fields it writes) of every endpoint that reads
    a body, once for each serializer it reads the body with."""
    generator = SchemaGenerator()
    found = []
    for path, path_regex, method, callback in EndpointEnumerator().get_api_endpoints():
        if method not in WRITES:
            continue
        view = generator.create_view(callback, method)
        path = generator.coerce_path(path, method, view)
        view.request = spectacular_settings.GET_MOCK_REQUEST(method, path, view, None)
        view.schema.method, view.schema.path, view.schema.path_regex = method, path, path_regex
        candidates = [view.schema.get_request_serializer()]
        if hasattr(view, "get_serializer_class"):
            candidates.append(view.get_serializer_class())
        for candidate in candidates:
            serializer = _serializer(candidate, view)
            if serializer is not None:
                creating = getattr(view, "action", None) == "create"
                leaks = writable_state_fields(serializer, creating=creating)
                found.append((path, method, type(serializer).__name__, leaks))
    return found


def writable_state_fields(serializer, *, creating: bool) -> list[str]:
    """The fields of ``serializer`` (and of its writable nested serializers) that let a client
    write a state field of their model; on create, a stepped field may only take an entry
    state."""
    model = getattr(getattr(serializer, "Meta", None), "model", None)
    leaks = []
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        if isinstance(field, serializers.BaseSerializer):
            nested = field.child if isinstance(field, serializers.ListSerializer) else field
            leaks += [f"{name}.{leak}" for leak in writable_state_fields(nested, creating=False)]
            continue
        if model is None:
            continue  # a step's own input (status, reason, ...), not a model's fields
        source = field_source(field)
        if source not in state_fields_of(model):
            continue
        entries = entry_states_of(model).get(source) if creating else None
        choices = set(field.choices) if isinstance(field, serializers.ChoiceField) else set()
        if entries is None or not choices or not choices <= set(entries):
            leaks.append(name)
    return leaks


@pytest.fixture(scope="module")
def endpoints(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return write_endpoints()


def test_no_serializer_lets_a_state_field_be_written(endpoints):
    leaks = {
        f"{method} {path} ({name})": fields for path, method, name, fields in endpoints if fields
    }
    assert leaks == {}


def test_the_walk_reads_the_write_endpoints_of_every_app(endpoints):
    checked = {(path, method) for path, method, _name, _fields in endpoints}
    assert {
        ("/api/v1/party/projects/{id}/", "PATCH"),
        ("/api/v1/party/projects/{id}/", "PUT"),
        ("/api/v1/party/projects/", "POST"),
        ("/api/v1/party/members/{id}/", "PATCH"),
        ("/api/v1/party/meetings/{id}/status/", "POST"),
        ("/api/v1/areas/{id}/", "PATCH"),
        ("/api/v1/cases/", "POST"),
        ("/api/v1/deadline-requests/", "POST"),
    } <= checked


def test_the_check_fails_on_a_serializer_that_writes_a_state_field():
    class LeakyProject(serializers.ModelSerializer):
        class Meta:
            model = Project
            fields = ("id", "name", "status", "progress")

    class LeakyMember(serializers.ModelSerializer):
        status = serializers.ChoiceField(choices=PartyMember.Status.choices)

        class Meta:
            model = PartyMember
            fields = ("id", "name", "status")

    assert writable_state_fields(LeakyProject(), creating=False) == ["status", "progress"]
    # Creating, a member may start full or probationary, never transferred out.
    assert writable_state_fields(LeakyMember(), creating=True) == ["status"]
    assert writable_state_fields(LeakyMember(), creating=False) == ["status"]


def test_every_model_with_a_status_declares_it_a_state_field():
    undeclared = [
        model._meta.label
        for model in apps.get_models()
        if any(f.name == "status" for f in model._meta.concrete_fields)
        and "status" not in state_fields_of(model)
    ]
    assert undeclared == []


def test_every_declared_state_field_exists():
    unknown = [
        f"{model._meta.label}.{name}"
        for model in apps.get_models()
        for name in state_fields_of(model)
        if name not in {f.name for f in model._meta.concrete_fields}
    ]
    assert unknown == []
