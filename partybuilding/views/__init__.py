"""Pages for party officers (and the read-only roles in scope), one module per sub-domain (as
its models). Views stay thin: they read through selectors, filter through the app's FilterSets
and write through services."""
