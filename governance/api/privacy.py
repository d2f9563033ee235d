"""The ``reveal`` endpoint of a record with personal fields: the full value of one field, for a
caller the privacy rule allows, with a reason, and one access-log row (governance.privacy)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from governance import privacy
from governance.api.errors import service_errors


class RevealedSerializer(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField()


def reveal_action(model, fields: tuple[str, ...]):
    """A ``POST <id>/reveal/`` action taking ``{"field": ..., "reason": ...}``."""
    input_serializer = type(
        f"{model.__name__}RevealSerializer",
        (serializers.Serializer,),
        {
            "__module__": __name__,
            "field": serializers.ChoiceField(choices=fields),
            "reason": serializers.CharField(max_length=privacy.MAX_REASON),
        },
    )

    @extend_schema(request=input_serializer, responses=RevealedSerializer)
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """The full value of one personal field. Needs a reason; the read is logged in the
        personal data access log (403 for a caller who may not read it)."""
        obj = self.get_object()
        data = input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        name = data.validated_data["field"]
        with service_errors():
            value = privacy.reveal(
                user=request.user,
                obj=obj,
                name=name,
                reason=data.validated_data["reason"],
                interface=privacy.Interface.API,
            )
        return Response({"field": name, "value": value})

    return reveal
