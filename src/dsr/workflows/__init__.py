"""The request lifecycle and everything that moves a request along it."""
