"""HTTP blueprints: thin, they parse the request, call a service, shape the response."""
