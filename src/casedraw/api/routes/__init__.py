"""The /api/v1 endpoints, grouped by resource."""
