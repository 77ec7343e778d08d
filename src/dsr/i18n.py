"""User-facing messages in German (default) and English, and picking the language."""

from __future__ import annotations

from dsr.domain.vocabulary import Language

MESSAGES: dict[str, dict[Language, str]] = {
    # problem titles
    "invalid_input": {
        Language.DE: "Die Eingaben sind unvollständig oder ungültig.",
        Language.EN: "Some input is missing or invalid.",
    },
    "not_found": {
        Language.DE: "Nicht gefunden.",
        Language.EN: "Not found.",
    },
    "forbidden": {
        Language.DE: "Dafür fehlt Ihnen die Berechtigung.",
        Language.EN: "You are not allowed to do this.",
    },
    "unauthenticated": {
        Language.DE: "Bitte melden Sie sich an.",
        Language.EN: "Please sign in.",
    },
    "invalid_transition": {
        Language.DE: "Dieser Schritt ist im aktuellen Status des Antrags nicht möglich.",
        Language.EN: "This step is not possible in the request's current status.",
    },
    "conflict": {
        Language.DE: "Der Datensatz wurde gleichzeitig geändert. Bitte erneut versuchen.",
        Language.EN: "The record was changed at the same time. Please try again.",
    },
    "too_large": {
        Language.DE: "Die Anfrage ist zu groß.",
        Language.EN: "The request is too large.",
    },
    "method_not_allowed": {
        Language.DE: "Diese Methode ist hier nicht erlaubt.",
        Language.EN: "This method is not allowed here.",
    },
    "unsupported_media_type": {
        Language.DE: "Dieses Datenformat wird nicht unterstützt.",
        Language.EN: "This content type is not supported.",
    },
    "too_many_requests": {
        Language.DE: "Zu viele Anfragen. Bitte warten Sie einen Moment.",
        Language.EN: "Too many requests. Please wait a moment.",
    },
    "unavailable": {
        Language.DE: "Der Dienst ist vorübergehend nicht erreichbar.",
        Language.EN: "The service is temporarily unavailable.",
    },
    "server_error": {
        Language.DE: "Ein interner Fehler ist aufgetreten. Es wurde nichts geändert.",
        Language.EN: "An internal error occurred. Nothing was changed.",
    },
    "bad_request": {
        Language.DE: "Die Anfrage ist fehlerhaft.",
        Language.EN: "The request is malformed.",
    },
    # field problems
    "required": {Language.DE: "Pflichtangabe fehlt.", Language.EN: "This is required."},
    "too_long": {Language.DE: "Zu lang.", Language.EN: "Too long."},
    "invalid_value": {Language.DE: "Ungültiger Wert.", Language.EN: "Invalid value."},
    "invalid_type": {
        Language.DE: "Falscher Datentyp.",
        Language.EN: "Wrong type of value.",
    },
    "unknown_field": {
        Language.DE: "Dieses Feld gibt es nicht.",
        Language.EN: "There is no such field.",
    },
    "invalid_name": {
        Language.DE: "Der Name enthält unzulässige Zeichen.",
        Language.EN: "The name contains characters that are not allowed.",
    },
    "invalid_email": {
        Language.DE: "Bitte geben Sie eine gültige E-Mail-Adresse an.",
        Language.EN: "Please give a valid e-mail address.",
    },
    "invalid_phone": {
        Language.DE: "Bitte geben Sie eine gültige Telefonnummer an.",
        Language.EN: "Please give a valid phone number.",
    },
    "invalid_customer_number": {
        Language.DE: "Die Kundennummer darf nur Buchstaben und Ziffern enthalten.",
        Language.EN: "The customer number may contain letters and digits only.",
    },
    "invalid_postal_address": {
        Language.DE: "Die Anschrift enthält unzulässige Zeichen.",
        Language.EN: "The address contains characters that are not allowed.",
    },
    "invalid_date_of_birth": {
        Language.DE: "Bitte ein Datum im Format JJJJ-MM-TT angeben.",
        Language.EN: "Please give a date as YYYY-MM-DD.",
    },
    "invalid_text": {
        Language.DE: "Der Text enthält unzulässige Steuerzeichen.",
        Language.EN: "The text contains control characters that are not allowed.",
    },
    "invalid_cursor": {
        Language.DE: "Ungültiger Blätter-Cursor.",
        Language.EN: "Invalid page cursor.",
    },
    "only_email_or_letter": {
        Language.DE: "Nur bei Anträgen per E-Mail oder Brief anzugeben.",
        Language.EN: "Only for requests received by e-mail or letter.",
    },
    "timezone_required": {
        Language.DE: "Bitte mit Zeitzone angeben.",
        Language.EN: "Please include a time zone.",
    },
    "in_future": {
        Language.DE: "Darf nicht in der Zukunft liegen.",
        Language.EN: "Must not be in the future.",
    },
    "too_old": {
        Language.DE: "Liegt zu weit zurück (höchstens 90 Tage).",
        Language.EN: "Too far back (90 days at most).",
    },
    "invalid_username": {
        Language.DE: "Benutzername: 2–64 Zeichen, Kleinbuchstaben, Ziffern, . _ -",
        Language.EN: "Username: 2–64 characters, lower-case letters, digits, . _ -",
    },
}


def message(code: str, language: Language) -> str:
    entry = MESSAGES.get(code) or MESSAGES["invalid_value"]
    return entry[language]


def pick_language(accept_language: str | None, requested: str | None = None) -> Language:
    """An explicit choice wins; then the best supported Accept-Language; else German."""
    if requested in {"de", "en"}:
        return Language(requested)
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "")[:500].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower()[:2]))
    for negative_quality, _, tag in sorted(ranked):
        if tag in {"de", "en"} and negative_quality < 0:
            return Language(tag)
    return Language.DE
