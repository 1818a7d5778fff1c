"""The HTTP API (`casedraw serve`): a thin adapter over the services, versioned under /api/v1."""
