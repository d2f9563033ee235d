"""What the party-building endpoints share: scoped CRUD whose writes go through the services,
the status step endpoint of a stepped record, and the validation of a step's input."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from governance.api.errors import service_errors
from governance.api.permissions import ScopedObjectPermission
from partybuilding import services
from partybuilding.api.serializers.common import status_serializer


class PartyViewSet(viewsets.ModelViewSet):
    """Scoped CRUD of a party-building model. Every write goes through a service:
    ``save_service`` (``services.record_save`` unless a model has its own) with the
    many-to-many rows set inside its transaction, and ``delete_service``. State fields are
    read-only in the serializers (governance.api.state); they move by the step endpoints."""

    permission_classes = [IsAuthenticated, ScopedObjectPermission]
    list_for = None  # selector: user -> queryset

    def get_queryset(self):
        return type(self).list_for(self.request.user)

    def save_service(self, instance, related: dict[str, list]):
        return services.record_save(actor=self.request.user, obj=instance, related=related)

    def delete_service(self, instance) -> None:
        services.record_delete(actor=self.request.user, obj=instance)

    def _write(self, serializer, instance):
        data = dict(serializer.validated_data)
        related = {f.name: data.pop(f.name) for f in instance._meta.many_to_many if f.name in data}
        for name, value in data.items():
            setattr(instance, name, value)
        with service_errors():
            serializer.instance = self.save_service(instance, related)

    def perform_create(self, serializer):
        self._write(serializer, serializer.Meta.model())

    def perform_update(self, serializer):
        self._write(serializer, serializer.instance)

    def perform_destroy(self, instance):
        with service_errors():
            self.delete_service(instance)


def status_step_action(model, service, record: str, response_serializer):
    """The ``status/`` endpoint of a stepped record: POST ``{"status": ...}`` moves it by
    ``service`` (called with the record as keyword ``record``), along its model's steps."""
    input_serializer = status_serializer(model)

    @extend_schema(request=input_serializer, responses=response_serializer)
    @action(detail=True, methods=["post"], url_path="status")
    def status_step(self, request, pk=None):
        """Move the record to another status; only the statuses its steps lead to are
        accepted (400 otherwise)."""
        obj = self.get_object()
        data = step_input(input_serializer, request)
        with service_errors():
            service(actor=request.user, status=data["status"], **{record: obj})
        return Response(self.get_serializer(self.get_queryset().get(pk=obj.pk)).data)

    return status_step


def step_input(serializer_class, request, **extra):
    """The validated input of a step endpoint (a 400 with field messages otherwise)."""
    serializer = serializer_class(data=request.data, context={"request": request, **extra})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
