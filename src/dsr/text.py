"""Plain-language names of kinds and statuses, for pages, e-mails and letters (msgids)."""

from __future__ import annotations

from dsr.domain.vocabulary import RequestKind, RequestStatus
from dsr.i18n import N_

KIND_NAMES: dict[RequestKind, str] = {
    RequestKind.ACCESS: N_("Access to your data"),
    RequestKind.RECTIFICATION: N_("Rectification of your data"),
    RequestKind.ERASURE: N_("Erasure of your data"),
    RequestKind.RESTRICTION: N_("Restriction of processing"),
    RequestKind.PORTABILITY: N_("Your data in a machine-readable format"),
    RequestKind.OBJECTION: N_("Objection to processing"),
}

KIND_HINTS: dict[RequestKind, str] = {
    RequestKind.ACCESS: N_("Which data we store about you, and a copy of it."),
    RequestKind.RECTIFICATION: N_("Correct or complete data about you."),
    RequestKind.ERASURE: N_("Delete data about you."),
    RequestKind.RESTRICTION: N_("We keep your data but use it only in a limited way."),
    RequestKind.PORTABILITY: N_("Receive the data you gave us in a common file format."),
    RequestKind.OBJECTION: N_("We stop using your data for a purpose you object to."),
}

STATUS_NAMES: dict[RequestStatus, str] = {
    RequestStatus.RECEIVED: N_("Received"),
    RequestStatus.AWAITING_VERIFICATION: N_("Waiting for your confirmation"),
    RequestStatus.VERIFIED: N_("Confirmed, waiting to be processed"),
    RequestStatus.PROCESSING: N_("In progress"),
    RequestStatus.AWAITING_REVIEW: N_("In final review"),
    RequestStatus.COMPLETED: N_("Completed"),
    RequestStatus.REJECTED: N_("Closed without processing"),
    RequestStatus.WITHDRAWN: N_("Withdrawn"),
}

NEXT_STEPS: dict[RequestStatus, str] = {
    RequestStatus.RECEIVED: N_("We will contact you shortly."),
    RequestStatus.AWAITING_VERIFICATION: N_(
        "Please enter the 6-digit code we sent to your e-mail address, or open the link in "
        "that e-mail. Only then can we work on your request."
    ),
    RequestStatus.VERIFIED: N_(
        "Thank you, your e-mail address is confirmed. We are now looking for your data in "
        "our systems. You do not need to do anything."
    ),
    RequestStatus.PROCESSING: N_("We are working on your request. You do not need to do anything."),
    RequestStatus.AWAITING_REVIEW: N_(
        "Our data protection officer is checking the result. You will receive our answer by "
        "the date shown above."
    ),
    RequestStatus.COMPLETED: N_("We have answered your request. Please see our e-mail or letter."),
    RequestStatus.REJECTED: N_("We have told you why by e-mail or letter."),
    RequestStatus.WITHDRAWN: N_("You withdrew this request. We will not process it any further."),
}

FORM_LABELS: dict[str, str] = {
    "kind": N_("Kind of request"),
    "change_field": N_("Which information?"),
    "change_wrong": N_("What is wrong?"),
    "change_right": N_("What is right?"),
    "address_street": N_("Street and house number"),
    "address_postcode": N_("Postcode"),
    "address_city": N_("City"),
    "address_country": N_("Country (code, e.g. DE)"),
    "name": N_("Your name"),
    "email": N_("Your e-mail address"),
    "phone": N_("Phone number (optional)"),
    "customer_number": N_("Customer number (optional)"),
    "details": N_("Anything else we should know? (optional)"),
}

CHANGE_FIELDS: dict[str, str] = {
    "name": N_("Name"),
    "email": N_("E-mail address"),
    "phone": N_("Phone number"),
    "customer_number": N_("Customer number"),
    "postal_address": N_("Postal address"),  # requests from before the address had parts
    "postal_address.street": N_("Street and house number"),
    "postal_address.postcode": N_("Postcode"),
    "postal_address.city": N_("City"),
    "postal_address.country": N_("Country"),
    "other": N_("Other information"),
}
# The form's "which information?" choice: the address has fields of its own.
SINGLE_CHANGES = ("name", "email", "phone", "customer_number", "other")
