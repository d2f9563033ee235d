"""REST endpoints of the party-building app under /api/v1/, one module per sub-domain (as its
models). Reads go through the selectors (scoped, joins named); writes through the services
(scope checks, validation, locks)."""
