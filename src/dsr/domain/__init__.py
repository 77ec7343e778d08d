"""Pure domain code: no I/O, no web framework, no database session."""
