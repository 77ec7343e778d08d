"""The English letters, as blocks for ``layout.write_body`` (the single source of the shipped
``templates/letters/en/*.docx``; ``make letters`` writes them)."""

from __future__ import annotations

from dsr.letters.catalog import LetterKind
from dsr.letters.layout import Block, Labels

LABELS = Labels(
    language="en-GB",
    info=(
        ("Your message of", "{{ received_on }}"),
        ("Our reference", "{{ reference }}"),
        ("Contact", "{{ dpo.name }}"),
        ("", "{{ dpo.title }}"),
        ("E-mail", "{{ dpo.email }}"),
        ("Date", "{{ letter_date }}"),
    ),
    page="Page {page} of {pages}",
    return_line="{{ controller.name }} · {{ controller.address_line }}",
    letterhead=(
        "{{ controller.name }}",
        "{{ controller.address_line }}",
        "{{ controller.contact_line }}",
    ),
    following_header="{{ controller.name }} · Our reference {{ reference }} · {{ letter_date }}",
    footer=("{{ controller.legal_line }}", "{{ dpo.title }}: {{ dpo.name }}, {{ dpo.email }}"),
)
RECIPIENT: list[Block] = [
    ("addr", "{{ recipient.name }}"),
    ("tag", "{%p for line in recipient.address %}"),
    ("addr", "{{ line }}"),
    ("tag", "{%p endfor %}"),
]
GREETING: list[Block] = [("p", "Dear {{ recipient.name }},")]
COMPLAINT: list[Block] = [
    ("heading", "Your right to lodge a complaint and to an effective judicial remedy"),
    (
        "p",
        "You have the right to lodge a complaint with a data protection supervisory authority "
        "(Art. 77 GDPR), in particular in the Member State of your habitual residence, your "
        "place of work or the place of the alleged infringement. The authority responsible "
        "for us is:",
    ),
    ("p", "{{ authority.name }}{{ authority.explained }}, {{ authority.address_line }}"),
    ("tag", "{%p if authority.postal_line %}"),
    ("p", "Postal address: {{ authority.postal_line }}"),
    ("tag", "{%p endif %}"),
    ("p", "{{ authority.contact_line }}"),
    (
        "p",
        "You may also bring proceedings against us before a court (Art. 79 GDPR), either where "
        "we are established or where you have your habitual residence.",
    ),
]
CLOSING: list[Block] = [
    (
        "closing",
        "If you have questions about this letter, you can reach us at {{ controller.email }}"
        "{{ controller.phone_clause }}, and {{ dpo.name }} ({{ dpo.title }}) at "
        "{{ dpo.email }}. Please quote our reference {{ reference }}.",
    ),
    ("signature", "Yours sincerely,\n\n{{ controller.name }}\nData protection team"),
]
NOTIFIED: list[Block] = [
    ("tag", "{%p if notified %}"),
    ("tag", "{%p for name in notified %}"),
    ("bullet", "{{ name }}"),
    ("tag", "{%p endfor %}"),
    ("tag", "{%p else %}"),
    ("bullet", "Nobody: we have not disclosed these data to anyone else."),
    ("tag", "{%p endif %}"),
]
PAPER_NOT_FOUND: list[Block] = [
    ("tag", "{%p if paper_not_found %}"),
    ("p", "We also searched here:"),
    ("tag", "{%p for system in paper_not_found %}"),
    ("bullet", "{{ system }}: nothing found in the paper file"),
    ("tag", "{%p endfor %}"),
    ("tag", "{%p endif %}"),
]
ERASED: list[Block] = [
    (
        "p",
        "On {{ received_on }} you asked us to erase the data concerning you (Art. 17 GDPR). "
        "Ground for the erasure: {{ ground }}.",
    ),
    ("p", "On {{ done_on }} we erased:"),
    ("tag", "{%p for item in erased %}"),
    ("bullet", "{{ item.system }}: {{ item.categories }}"),
    ("tag", "{%p endfor %}"),
    *PAPER_NOT_FOUND,
    (
        "p",
        "Where a record has to remain for technical reasons, we overwrote everything in it that "
        "relates to you.",
    ),
    ("p", "We informed these recipients of the erasure (Art. 19 GDPR):"),
    *NOTIFIED,
]
ANSWER_BY: list[Block] = [
    ("tag", "{%p if due_on %}"),
    ("bold", "You will receive our answer by {{ due_on }} at the latest."),
    ("tag", "{%p endif %}"),
]

BODIES: dict[LetterKind, list[Block]] = {
    LetterKind.ACKNOWLEDGEMENT: [
        ("title", "{{ matter }}: acknowledgement of receipt"),
        *GREETING,
        (
            "p",
            "{{ matter }} reached us on {{ received_on }}. You are exercising your {{ right }}.",
        ),
        ("tag", "{%p if grounds_needed %}"),
        (
            "p",
            "We assess an objection under Art. 21(1) GDPR on the grounds relating to your "
            "particular situation. If you have not told us these grounds yet, please send them "
            "to us quoting our reference.",
        ),
        ("tag", "{%p elif marketing %}"),
        (
            "p",
            "An objection to processing for direct marketing (Art. 21(2) GDPR) needs no reasons. "
            "We no longer use your data for marketing, with immediate effect (Art. 21(3) GDPR); "
            "we keep your contact detail only on a suppression list so that you receive no more "
            "marketing from us.",
        ),
        ("tag", "{%p else %}"),
        ("p", "You do not need to give reasons for this."),
        ("tag", "{%p endif %}"),
        (
            "p",
            "We established that the request comes from you by {{ verified_by }}. Next, we check "
            "our systems for data about you and act on your request.",
        ),
        *ANSWER_BY,
        ("tag", "{%p if not grounds_needed %}"),
        ("p", "You do not need to do anything. If we need anything else, we will contact you."),
        ("tag", "{%p endif %}"),
    ],
    LetterKind.IDENTITY_REQUEST: [
        ("title", "{{ matter }}: please confirm that it comes from you"),
        *GREETING,
        (
            "p",
            "{{ matter }} reached us on {{ received_on }}. Before we disclose or change any "
            "data, we must be sure that the request comes from you, so that your data does not "
            "reach the wrong person (Art. 12(6) GDPR).",
        ),
        ("tag", "{%p if on_file %}"),
        ("p", "This is why we are writing to the postal address we hold for you."),
        ("tag", "{%p endif %}"),
        ("p", "Why we ask: {{ doubt }}"),
        ("tag", "{%p if needed_count %}"),
        ("p", "It is enough if you give us {{ needed_count }} of the following details:"),
        ("tag", "{%p else %}"),
        ("p", "All we need for this are these details:"),
        ("tag", "{%p endif %}"),
        ("tag", "{%p for item in needed %}"),
        ("bullet", "{{ item }}"),
        ("tag", "{%p endfor %}"),
        ("tag", "{%p if code %}"),
        ("bold", "Your confirmation code: {{ code }}"),
        ("p", "Please quote this code when you call or write to us."),
        ("tag", "{%p endif %}"),
        ("p", "{{ reply_to }}"),
        (
            "p",
            "We do not need a copy of your ID. We use what you tell us only to check that the "
            "request comes from you and delete it afterwards; we keep only a note that and when "
            "we checked.",
        ),
        (
            "p",
            "As soon as we have your answer, we will act on your request. You will receive our "
            "answer by {{ due_on }} at the latest.",
        ),
    ],
    LetterKind.EXTENSION: [
        ("title", "{{ matter }}: extension of the time limit"),
        *GREETING,
        (
            "p",
            "{{ matter }} reached us on {{ received_on }}. We normally answer within one month "
            "of receipt (Art. 12(3), first sentence, GDPR), here by {{ first_due_on }}. In your "
            "case we need more time.",
        ),
        ("p", "The reason: {{ reason }}"),
        (
            "bold",
            "Under Art. 12(3), second sentence, GDPR we therefore extend the time limit until "
            "{{ due_on }} (three months from receipt of your request). You will receive our "
            "answer by then.",
        ),
        ("p", "If we finish earlier, we will answer earlier."),
        *COMPLAINT,
    ],
    LetterKind.ACCESS: [
        ("title", "Your right of access under Art. 15 GDPR: our answer"),
        *GREETING,
        (
            "p",
            "On {{ received_on }} you asked us which data about you we process. This is our "
            "answer.",
        ),
        ("heading", "1. Yes, we process data about you"),
        ("p", "We found data about you in these systems:"),
        ("tag", "{%p for store in found %}"),
        ("bullet", "{{ store.system }}: {{ store.categories }}"),
        ("tag", "{%p endfor %}"),
        *PAPER_NOT_FOUND,
        ("heading", "2. Your copy of the data (Art. 15(3) GDPR)"),
        (
            "p",
            "The copy is in the same ZIP file as this letter: data.json (for programs), one CSV "
            "file per table (for spreadsheets) and index.html (an overview to read in a "
            "browser). The link in our e-mail works once, together with the code from the same "
            "e-mail, until {{ download.expires_on }}; please keep the file safe. The copy is "
            "free of charge.",
        ),
        ("heading", "3. Purposes, legal bases, recipients and storage periods"),
        ("tag", "{%p for record in records %}"),
        ("bold", "{{ record.name }}"),
        ("bullet", "Purposes: {{ record.purposes }}"),
        ("bullet", "Legal basis: {{ record.legal_basis }}"),
        ("bullet", "Categories of data: {{ record.categories }}"),
        ("bullet", "Recipients: {{ record.recipients }}"),
        ("bullet", "Storage period: {{ record.storage }}"),
        ("bullet", "Source of the data: {{ record.source }}"),
        ("bullet", "Automated decisions and profiling: {{ record.automated_decisions }}"),
        ("tag", "{%p endfor %}"),
        ("heading", "4. Transfers to third countries (Art. 15(2) GDPR)"),
        ("tag", "{%p if transfers %}"),
        ("tag", "{%p for transfer in transfers %}"),
        ("bullet", "{{ transfer.recipient }} ({{ transfer.country }}): {{ transfer.safeguards }}"),
        ("tag", "{%p endfor %}"),
        ("tag", "{%p else %}"),
        ("p", "We do not transfer your data to countries outside the EU and the EEA."),
        ("tag", "{%p endif %}"),
        ("heading", "5. Your other rights"),
        (
            "p",
            "You may ask us to rectify inaccurate data (Art. 16 GDPR), to erase data (Art. 17 "
            "GDPR) or to restrict its processing (Art. 18 GDPR). You may object to processing "
            "based on legitimate interests on grounds relating to your particular situation, and "
            "to direct marketing at any time without giving reasons (Art. 21 GDPR). You may "
            "withdraw a consent at any time with effect for the future (Art. 7(3) GDPR).",
        ),
        ("heading", "6. Redactions"),
        ("tag", "{%p if redactions %}"),
        ("tag", "{%p for item in redactions %}"),
        ("bullet", "{{ item }}"),
        ("tag", "{%p endfor %}"),
        ("tag", "{%p else %}"),
        ("p", "We have redacted and withheld nothing."),
        ("tag", "{%p endif %}"),
        *COMPLAINT,
    ],
    LetterKind.NEGATIVE: [
        ("title", "{{ matter }}: we hold no data about you"),
        *GREETING,
        ("p", "On {{ received_on }} you exercised your {{ right }}."),
        (
            "bold",
            "Under the details we searched for ({{ identifiers }}), we do not process any data "
            "about you.",
        ),
        ("p", "We searched these systems:"),
        ("tag", "{%p for store in searched %}"),
        ("bullet", "{{ store.system }}: {{ store.categories }}"),
        ("tag", "{%p endfor %}"),
        (
            "p",
            "The only exception is the record of this request itself: we keep it to be able to "
            "show that we answered it (Art. 5(2) GDPR).",
        ),
        (
            "p",
            "If we might know you under other details, such as an earlier e-mail address or a "
            "customer number, write to us and we will search again.",
        ),
        *COMPLAINT,
    ],
    LetterKind.RECTIFICATION: [
        ("title", "Rectification of your data (Art. 16 GDPR)"),
        *GREETING,
        (
            "p",
            "On {{ received_on }} you asked us to rectify data about you. We did so on "
            "{{ done_on }}:",
        ),
        ("tag", "{%p for change in changes %}"),
        ("bullet", "{{ change.field }}: now “{{ change.value }}”"),
        ("tag", "{%p endfor %}"),
        *PAPER_NOT_FOUND,
        ("p", "We informed these recipients of the rectification (Art. 19 GDPR):"),
        *NOTIFIED,
    ],
    LetterKind.ERASURE: [
        ("title", "Erasure of your data (Art. 17 GDPR)"),
        *GREETING,
        *ERASED,
        (
            "p",
            "We keep the record of this request itself to be able to show that we carried it "
            "out (Art. 5(2) GDPR).",
        ),
    ],
    LetterKind.PARTIAL_ERASURE: [
        ("title", "Erasure of your data (Art. 17 GDPR): in part"),
        *GREETING,
        *ERASED,
        ("heading", "What we have not erased"),
        ("tag", "{%p if held %}"),
        (
            "p",
            "We may not yet erase some data because a law obliges us to keep it (Art. 17(3)(b) "
            "GDPR). To that extent we refuse the erasure:",
        ),
        ("tag", "{%p for item in held %}"),
        (
            "bullet",
            "{{ item.what }} ({{ item.count }}): to be kept under {{ item.law }} "
            "until {{ item.until }}",
        ),
        ("tag", "{%p endfor %}"),
        (
            "p",
            "We have restricted the processing of these data (Art. 18 GDPR): we process them "
            "only to meet that legal duty to retain them.",
        ),
        ("tag", "{%p endif %}"),
        ("tag", "{%p if kept %}"),
        ("p", "We have not erased these records:"),
        ("tag", "{%p for item in kept %}"),
        ("bullet", "{{ item.what }} ({{ item.count }}): {{ item.why }}"),
        ("tag", "{%p endfor %}"),
        ("tag", "{%p endif %}"),
        *COMPLAINT,
    ],
    LetterKind.RESTRICTION: [
        ("title", "Restriction of processing (Art. 18 GDPR)"),
        *GREETING,
        (
            "p",
            "On {{ received_on }} you asked us to restrict the processing of your data. On "
            "{{ done_on }} we restricted it: {{ scope }}.",
        ),
        ("tag", "{%p if ground %}"),
        ("p", "Ground for the restriction: {{ ground }}."),
        ("tag", "{%p endif %}"),
        (
            "p",
            "While the restriction applies, we only store these data; we may process them only "
            "with your consent, for the establishment, exercise or defence of legal claims, to "
            "protect the rights of others or for reasons of important public interest "
            "(Art. 18(2) GDPR). We will tell you before we lift the restriction (Art. 18(3) "
            "GDPR).",
        ),
        ("p", "We informed these recipients of the restriction (Art. 19 GDPR):"),
        *NOTIFIED,
    ],
    LetterKind.RESTRICTION_LIFT: [
        ("title", "Notice: the restriction of processing will be lifted (Art. 18(3) GDPR)"),
        *GREETING,
        (
            "p",
            "Following your request of {{ received_on }}, we restricted the processing of your "
            "data ({{ scope }}).",
        ),
        ("bold", "We will lift this restriction on {{ lift_on }}."),
        ("p", "The reason: {{ reason }}"),
        (
            "p",
            "If you do not agree, please write to us before that day, quoting our reference.",
        ),
        *COMPLAINT,
    ],
    LetterKind.OBJECTION: [
        ("title", "Your objection (Art. 21 GDPR)"),
        *GREETING,
        ("tag", "{%p if marketing %}"),
        (
            "p",
            "On {{ received_on }} you objected to the processing of your data for direct "
            "marketing (Art. 21(2) GDPR). Since {{ done_on }} we no longer use your data for "
            "this purpose (Art. 21(3) GDPR).",
        ),
        (
            "p",
            "So that you receive no more marketing, we keep your contact detail on a suppression "
            "list; we use it for nothing else.",
        ),
        ("tag", "{%p else %}"),
        (
            "p",
            "On {{ received_on }} you objected to the processing of your data (Art. 21(1) GDPR). "
            "We have assessed your grounds and upheld your objection: since {{ done_on }} we no "
            "longer process your data for {{ scope }}.",
        ),
        ("tag", "{%p endif %}"),
    ],
    LetterKind.REFUSAL: [
        ("title", "{{ matter }}: our decision"),
        *GREETING,
        ("p", "On {{ received_on }} you exercised your {{ right }}. {{ decision }}"),
        ("p", "{{ ground_text }}"),
        ("p", "Our reasons in detail: {{ reason }}"),
        ("tag", "{%p if fee %}"),
        ("p", "{{ fee }}"),
        ("tag", "{%p endif %}"),
        *COMPLAINT,
    ],
    LetterKind.UNVERIFIABLE: [
        ("title", "{{ matter }}: we could not identify you"),
        *GREETING,
        (
            "p",
            "On {{ received_on }} you exercised your {{ right }}. We could not establish "
            "that you are the person the data is about (Art. 11(2) GDPR), so we cannot act on "
            "the request for now.",
        ),
        ("p", "What we checked: {{ reason }}"),
        (
            "p",
            "You may send us additional information that identifies you (Art. 11(2), second "
            "sentence, GDPR), for example:",
        ),
        ("tag", "{%p for item in may_provide %}"),
        ("bullet", "{{ item }}"),
        ("tag", "{%p endfor %}"),
        ("p", "We will then look at your request again."),
        *COMPLAINT,
    ],
}
