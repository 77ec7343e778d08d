"""HTTP: controllers, guards, error mapping."""
