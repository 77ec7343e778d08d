"""Data-store connectors: find, export, erase and rectify one person's data in one store."""
