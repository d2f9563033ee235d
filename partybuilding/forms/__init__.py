"""Forms of the party-officer pages, one module per sub-domain (as its models). Choice lists
are narrowed to the user's scope."""
