"""Secrets handling: field encryption, blind indexes, passwords, tokens, the audit chain."""
