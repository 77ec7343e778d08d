"""dsr: a self-hosted desk for GDPR data-subject-rights requests."""

__version__ = "0.1.0"
