"""All tables; importing this module registers them on ``SQLModel.metadata``."""

from dsr.models.audit import Event
from dsr.models.desk import Note
from dsr.models.mail import MailboxLease, MailLink, MailMessage
from dsr.models.redaction import Redaction
from dsr.models.request import ReferenceCounter, Request, Subject, Verification
from dsr.models.staff import ApiToken, Staff, StaffSession, TotpUse
from dsr.models.work import (
    Artifact,
    ArtifactChunk,
    AttemptCounter,
    Download,
    Letter,
    Outbox,
    RateHit,
    Reminder,
    Task,
)

__all__ = [
    "ApiToken",
    "Artifact",
    "ArtifactChunk",
    "AttemptCounter",
    "Download",
    "Event",
    "Letter",
    "MailLink",
    "MailMessage",
    "MailboxLease",
    "Note",
    "Outbox",
    "RateHit",
    "Redaction",
    "ReferenceCounter",
    "Reminder",
    "Request",
    "Staff",
    "StaffSession",
    "Subject",
    "Task",
    "TotpUse",
    "Verification",
]
