"""What the party-building serializers share: state fields that only their steps change (see
governance.api.state), related keys that only accept rows the caller can see, and personal
data masked for every caller (governance.privacy; a full read is a logged reveal)."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from governance import privacy
from governance.api.fields import as_personal_text
from governance.api.state import StateFieldsReadOnly
from governance.scopes import visible


class PartyModelSerializer(StateFieldsReadOnly, serializers.ModelSerializer):
    """A model serializer of the app: its model's state fields are never written through it."""


def status_serializer(model) -> type[serializers.Serializer]:
    """The input of a record's status step: one of its model's statuses (the service checks
    that the record may move there)."""
    return type(
        f"{model.__name__}StatusSerializer",
        (serializers.Serializer,),
        {
            "__module__": __name__,
            "status": serializers.ChoiceField(choices=model._meta.get_field("status").choices),
        },
    )


class ScopedPK(serializers.PrimaryKeyRelatedField):
    """A foreign key limited to what the requesting user may see."""

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        if request is None:
            return queryset.none()
        return visible(request.user, queryset)


def scoped(model, **kwargs):
    return ScopedPK(queryset=model._default_manager.all(), **kwargs)


class PersonalDataMixin:
    """Masks the model's personal fields (those registered with governance.privacy) for every
    caller: a full read is a logged reveal, the ``reveal`` action of the endpoint."""

    def get_fields(self):
        fields = super().get_fields()
        for name in privacy.personal_fields(self.Meta.model):
            if name in fields:
                fields[name] = as_personal_text(fields[name])
        return fields

    def to_representation(self, obj):
        data = super().to_representation(obj)
        for name, spec in privacy.personal_fields(type(obj)).items():
            if data.get(name):
                data[name] = privacy.mask_value(spec.kind, data[name])
        return data


def protected_url(serializer, url_name: str, obj, field: str) -> str | None:
    """The address of a record's file: its scope-checked view, never a /media/ link."""
    if not getattr(obj, field):
        return None
    url = reverse(url_name, args=[obj.pk])
    request = serializer.context.get("request")
    return request.build_absolute_uri(url) if request is not None else url
