"""Transport adapters: each turns its library's request into an ``api.Request`` and back."""
