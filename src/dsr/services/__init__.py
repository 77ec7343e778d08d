"""Application services: one per concept, called by thin controllers and by the CLI."""
