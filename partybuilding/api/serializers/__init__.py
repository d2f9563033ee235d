"""Serializers of the party-building API, one module per sub-domain (as its models)."""
