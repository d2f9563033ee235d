"""Statistics of cases: every figure defined once (``figures``), counted over a scope and a
period (``compute``), for the dashboard, the API, the wall screen and the monthly assessment."""
