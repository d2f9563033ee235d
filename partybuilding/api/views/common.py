"""What the party-building endpoints share: scoped CRUD whose writes go through the services,
and the validation of a step's input."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from governance.api.errors import service_errors
from governance.api.permissions import ScopedObjectPermission
from partybuilding import services
from partybuilding.permissions import ensure_may_change_in


class PartyViewSet(viewsets.ModelViewSet):
    """Scoped CRUD whose writes go through ``services.record_save`` (or ``save_service``)."""

    permission_classes = [IsAuthenticated, ScopedObjectPermission]
    area_path = "area"
    list_for = None  # selector: user -> queryset

    def get_queryset(self):
        return type(self).list_for(self.request.user)

    def save(self, instance):
        return services.record_save(actor=self.request.user, obj=instance, area_path=self.area_path)

    def _write(self, serializer, instance):
        data = dict(serializer.validated_data)
        many = {f.name: data.pop(f.name) for f in instance._meta.many_to_many if f.name in data}
        for name, value in data.items():
            setattr(instance, name, value)
        with service_errors():
            serializer.instance = self.save(instance)
        for name, value in many.items():
            getattr(serializer.instance, name).set(value)

    def perform_create(self, serializer):
        self._write(serializer, serializer.Meta.model())

    def perform_update(self, serializer):
        self._write(serializer, serializer.instance)

    def perform_destroy(self, instance):
        area = instance
        for step in self.area_path.split("__"):
            area = getattr(area, step)
        with service_errors():
            ensure_may_change_in(self.request.user, area)
            try:
                instance.delete()
            except ProtectedError as exc:
                raise ValidationError(
                    _("Other records still refer to this one; change or remove them first.")
                ) from exc


def step_input(serializer_class, request, **extra):
    serializer = serializer_class(data=request.data, context={"request": request, **extra})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
