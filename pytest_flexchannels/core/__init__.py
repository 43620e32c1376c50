"""The request path and what every family shares."""
