"""The shipped letter templates, as text: ``dsr letters init DIR`` writes them as Word files.

``templates/letters/<lang>/<kind>.docx`` in the repository are this module's output; a DPO
edits copies of them in Word or LibreOffice and points ``DSR_LETTERS_DIR`` at the copies.
Placeholders are docxtpl's: ``{{ name }}``, and ``{%p for x in xs %}`` / ``{%p if c %}`` on a
paragraph of their own. LEGAL.md §6 says what each letter must contain.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from dsr.letters.catalog import LetterKind

Block = tuple[str, str]  # (style, text): title heading p addr bold bullet right small gap tag

# --- German ----------------------------------------------------------------------------------

_DE_OPENING: list[Block] = [
    ("small", "{{ controller.name }} · {{ controller.address_line }}"),
    ("addr", "{{ recipient.name }}"),
    ("tag", "{%p for line in recipient.address %}"),
    ("addr", "{{ line }}"),
    ("tag", "{%p endfor %}"),
    ("gap", ""),
    ("right", "{{ letter_date }}"),
    ("addr", "Unser Zeichen: {{ reference }}"),
    ("p", "Ihr Antrag vom {{ received_on }}"),
]
_DE_GREETING: list[Block] = [("p", "Guten Tag {{ recipient.name }},")]
_DE_COMPLAINT: list[Block] = [
    ("heading", "Ihr Recht auf Beschwerde und auf gerichtlichen Rechtsschutz"),
    (
        "p",
        "Sie können sich bei einer Datenschutz-Aufsichtsbehörde beschweren (Art. 77 DSGVO), "
        "insbesondere in dem Land, in dem Sie wohnen oder arbeiten. Für uns zuständig ist:",
    ),
    ("p", "{{ authority.name }}, {{ authority.address_line }}"),
    ("p", "{{ authority.contact_line }}"),
    (
        "p",
        "Außerdem können Sie gerichtlich gegen uns vorgehen (Art. 79 DSGVO), wahlweise an "
        "unserem Sitz oder an Ihrem gewöhnlichen Aufenthaltsort.",
    ),
]
_DE_CLOSING: list[Block] = [
    (
        "p",
        "Bei Fragen zu diesem Schreiben erreichen Sie uns unter {{ controller.email }}, unsere "
        "Datenschutzbeauftragte bzw. unseren Datenschutzbeauftragten ({{ dpo.name }}) unter "
        "{{ dpo.email }}. Bitte nennen Sie dabei unser Zeichen {{ reference }}.",
    ),
    ("p", "Mit freundlichen Grüßen"),
    ("p", "{{ controller.name }}"),
    ("p", "Datenschutz"),
]
_DE_NOTIFIED: list[Block] = [
    ("tag", "{%p if notified %}"),
    ("tag", "{%p for name in notified %}"),
    ("bullet", "{{ name }}"),
    ("tag", "{%p endfor %}"),
    ("tag", "{%p else %}"),
    ("bullet", "Niemand: diese Daten haben wir an keine andere Stelle weitergegeben."),
    ("tag", "{%p endif %}"),
]
_DE_ERASED: list[Block] = [
    (
        "p",
        "Sie haben am {{ received_on }} verlangt, dass wir die Daten zu Ihrer Person löschen "
        "(Art. 17 DSGVO). Grundlage der Löschung: {{ ground }}.",
    ),
    ("p", "Am {{ done_on }} haben wir gelöscht:"),
    ("tag", "{%p for item in erased %}"),
    ("bullet", "{{ item.system }}: {{ item.categories }}"),
    ("tag", "{%p endfor %}"),
    (
        "p",
        "Wo ein Datensatz aus technischen Gründen bestehen bleiben muss, haben wir alle Angaben "
        "zu Ihrer Person darin überschrieben.",
    ),
    ("p", "Über die Löschung informiert haben wir (Art. 19 DSGVO):"),
    *_DE_NOTIFIED,
]

DE: dict[LetterKind, list[Block]] = {
    LetterKind.ACKNOWLEDGEMENT: [
        ("title", "Eingangsbestätigung: {{ right }}"),
        *_DE_GREETING,
        (
            "p",
            "wir haben Ihren Antrag am {{ received_on }} erhalten. Sie machen Ihr Recht auf "
            "{{ right }} geltend. Dieses Recht steht Ihnen zu; Gründe müssen Sie nicht angeben.",
        ),
        (
            "p",
            "Dass der Antrag von Ihnen stammt, haben wir durch {{ verified_by }} bestätigt. "
            "Als Nächstes suchen wir in allen unseren Systemen nach Daten zu Ihrer Person und "
            "bearbeiten Ihren Antrag.",
        ),
        ("bold", "Unsere Antwort erhalten Sie spätestens am {{ due_on }}."),
        (
            "p",
            "Sie müssen nichts weiter tun. Brauchen wir noch etwas von Ihnen, melden wir uns.",
        ),
    ],
    LetterKind.IDENTITY_REQUEST: [
        ("title", "Ihr Antrag auf {{ right }}: Bitte bestätigen Sie, dass er von Ihnen stammt"),
        *_DE_GREETING,
        (
            "p",
            "wir haben Ihren Antrag am {{ received_on }} erhalten. Bevor wir Auskunft geben oder "
            "Daten ändern, müssen wir sicher sein, dass der Antrag von Ihnen stammt, damit "
            "niemand anderes Ihre Daten erhält (Art. 12 Abs. 6 DSGVO).",
        ),
        ("p", "Warum wir nachfragen: {{ doubt }}"),
        ("p", "Dafür brauchen wir nur diese Angaben:"),
        ("tag", "{%p for item in needed %}"),
        ("bullet", "{{ item }}"),
        ("tag", "{%p endfor %}"),
        ("p", "{{ reply_to }}"),
        (
            "p",
            "Eine Ausweiskopie brauchen wir nicht. Wir verwenden Ihre Angaben ausschließlich, um "
            "zu prüfen, dass der Antrag von Ihnen stammt, und löschen sie danach; wir vermerken "
            "nur, dass und wann wir geprüft haben.",
        ),
        (
            "p",
            "Sobald wir Ihre Antwort haben, bearbeiten wir Ihren Antrag. Unsere Antwort erhalten "
            "Sie spätestens am {{ due_on }}.",
        ),
    ],
    LetterKind.EXTENSION: [
        ("title", "Ihr Antrag auf {{ right }}: Wir brauchen mehr Zeit"),
        *_DE_GREETING,
        (
            "p",
            "wir haben Ihren Antrag am {{ received_on }} erhalten. Wir antworten grundsätzlich "
            "innerhalb eines Monats, hier also bis zum {{ first_due_on }}. In Ihrem Fall "
            "brauchen wir länger.",
        ),
        ("p", "Der Grund: {{ reason }}"),
        (
            "bold",
            "Wir verlängern die Frist deshalb nach Art. 12 Abs. 3 DSGVO um zwei Monate. Sie "
            "erhalten unsere Antwort spätestens am {{ due_on }}.",
        ),
        ("p", "Sind wir früher fertig, antworten wir früher."),
    ],
    LetterKind.ACCESS: [
        ("title", "Auskunft nach Art. 15 DSGVO"),
        *_DE_GREETING,
        (
            "p",
            "Sie haben am {{ received_on }} Auskunft über die Daten verlangt, die wir zu Ihrer "
            "Person verarbeiten. Hier ist unsere Antwort.",
        ),
        ("heading", "1. Ja, wir verarbeiten Daten zu Ihrer Person"),
        ("p", "Wir haben in diesen Systemen Daten zu Ihnen gefunden:"),
        ("tag", "{%p for store in found %}"),
        ("bullet", "{{ store.system }}: {{ store.categories }}"),
        ("tag", "{%p endfor %}"),
        ("heading", "2. Ihre Kopie der Daten (Art. 15 Abs. 3 DSGVO)"),
        (
            "p",
            "Die Kopie liegt in derselben ZIP-Datei wie dieses Schreiben: data.json (für "
            "Programme lesbar), eine CSV-Datei je Tabelle (zum Beispiel für Excel) und "
            "index.html (eine Übersicht zum Lesen im Browser). Der Link aus unserer E-Mail "
            "funktioniert zusammen mit dem Code aus derselben E-Mail einmal und bis zum "
            "{{ download.expires_on }}; bitte bewahren Sie die Datei sicher auf. Die Kopie ist "
            "kostenlos.",
        ),
        ("heading", "3. Zwecke, Rechtsgrundlagen, Empfänger und Speicherdauer"),
        ("tag", "{%p for record in records %}"),
        ("bold", "{{ record.name }}"),
        ("bullet", "Zwecke: {{ record.purposes }}"),
        ("bullet", "Rechtsgrundlage: {{ record.legal_basis }}"),
        ("bullet", "Kategorien von Daten: {{ record.categories }}"),
        ("bullet", "Empfänger: {{ record.recipients }}"),
        ("bullet", "Speicherdauer: {{ record.storage }}"),
        ("bullet", "Herkunft der Daten: {{ record.source }}"),
        ("bullet", "Automatisierte Entscheidungen und Profiling: {{ record.automated_decisions }}"),
        ("tag", "{%p endfor %}"),
        ("heading", "4. Übermittlung in Länder außerhalb der EU (Art. 15 Abs. 2 DSGVO)"),
        ("tag", "{%p if transfers %}"),
        ("tag", "{%p for transfer in transfers %}"),
        ("bullet", "{{ transfer.recipient }} ({{ transfer.country }}): {{ transfer.safeguards }}"),
        ("tag", "{%p endfor %}"),
        ("tag", "{%p else %}"),
        ("p", "Wir übermitteln Ihre Daten nicht in Länder außerhalb der EU und des EWR."),
        ("tag", "{%p endif %}"),
        ("heading", "5. Ihre weiteren Rechte"),
        (
            "p",
            "Sie können verlangen, dass wir unrichtige Daten berichtigen (Art. 16 DSGVO), Daten "
            "löschen (Art. 17 DSGVO) oder ihre Verarbeitung einschränken (Art. 18 DSGVO). Einer "
            "Verarbeitung auf Grund berechtigter Interessen und der Werbung können Sie "
            "widersprechen (Art. 21 DSGVO). Eine Einwilligung können Sie jederzeit für die "
            "Zukunft widerrufen (Art. 7 Abs. 3 DSGVO).",
        ),
        ("heading", "6. Schwärzungen"),
        ("tag", "{%p if redactions %}"),
        ("tag", "{%p for item in redactions %}"),
        ("bullet", "{{ item }}"),
        ("tag", "{%p endfor %}"),
        ("tag", "{%p else %}"),
        ("p", "Wir haben nichts geschwärzt und nichts zurückgehalten."),
        ("tag", "{%p endif %}"),
        *_DE_COMPLAINT,
    ],
    LetterKind.NEGATIVE: [
        ("title", "Ihr Antrag auf {{ right }}: keine Daten zu Ihrer Person gespeichert"),
        *_DE_GREETING,
        ("p", "Sie haben am {{ received_on }} einen Antrag auf {{ right }} gestellt."),
        (
            "bold",
            "Unter den Angaben, die Sie uns genannt haben ({{ identifiers }}), verarbeiten wir "
            "keine Daten zu Ihrer Person.",
        ),
        ("p", "Gesucht haben wir in diesen Systemen:"),
        ("tag", "{%p for store in searched %}"),
        ("bullet", "{{ store.system }} ({{ store.categories }})"),
        ("tag", "{%p endfor %}"),
        (
            "p",
            "Ausgenommen sind nur die Angaben zu diesem Antrag selbst: Wir bewahren sie auf, um "
            "nachweisen zu können, dass wir ihn beantwortet haben (Art. 5 Abs. 2 DSGVO).",
        ),
        (
            "p",
            "Könnten wir Sie unter anderen Angaben kennen, etwa einer früheren E-Mail-Adresse "
            "oder einer Kundennummer, schreiben Sie uns; dann suchen wir erneut.",
        ),
        *_DE_COMPLAINT,
    ],
    LetterKind.RECTIFICATION: [
        ("title", "Berichtigung Ihrer Daten (Art. 16 DSGVO)"),
        *_DE_GREETING,
        (
            "p",
            "Sie haben am {{ received_on }} verlangt, dass wir Daten zu Ihrer Person berichtigen. "
            "Das haben wir am {{ done_on }} getan:",
        ),
        ("tag", "{%p for change in changes %}"),
        ("bullet", "{{ change.field }}: jetzt „{{ change.value }}“"),
        ("tag", "{%p endfor %}"),
        ("p", "Über die Berichtigung informiert haben wir (Art. 19 DSGVO):"),
        *_DE_NOTIFIED,
    ],
    LetterKind.ERASURE: [
        ("title", "Löschung Ihrer Daten (Art. 17 DSGVO)"),
        *_DE_GREETING,
        *_DE_ERASED,
        (
            "p",
            "Die Angaben zu diesem Antrag selbst bewahren wir auf, um nachweisen zu können, dass "
            "wir ihn erfüllt haben (Art. 5 Abs. 2 DSGVO).",
        ),
    ],
    LetterKind.PARTIAL_ERASURE: [
        ("title", "Löschung Ihrer Daten (Art. 17 DSGVO): teilweise, mit Aufbewahrungspflicht"),
        *_DE_GREETING,
        *_DE_ERASED,
        ("heading", "Was wir noch aufbewahren müssen"),
        (
            "p",
            "Einige Daten dürfen wir noch nicht löschen, weil ein Gesetz uns verpflichtet, sie "
            "aufzubewahren (Art. 17 Abs. 3 lit. b DSGVO). Insoweit lehnen wir die Löschung ab:",
        ),
        ("tag", "{%p for item in held %}"),
        (
            "bullet",
            "{{ item.what }} ({{ item.count }}): aufzubewahren nach {{ item.law }} "
            "bis zum {{ item.until }}",
        ),
        ("tag", "{%p endfor %}"),
        (
            "p",
            "Diese Daten haben wir gesperrt (Art. 18 DSGVO): Wir nutzen sie nur noch, um die "
            "gesetzliche Pflicht zu erfüllen, und löschen sie, sobald die Frist endet.",
        ),
        *_DE_COMPLAINT,
    ],
    LetterKind.REFUSAL: [
        ("title", "Ihr Antrag auf {{ right }}: unsere Entscheidung"),
        *_DE_GREETING,
        (
            "p",
            "Sie haben am {{ received_on }} einen Antrag auf {{ right }} gestellt. Wir werden "
            "diesem Antrag nicht nachkommen.",
        ),
        ("p", "{{ ground_text }}"),
        ("p", "Unsere Gründe: {{ reason }}"),
        ("tag", "{%p if fee %}"),
        ("p", "{{ fee }}"),
        ("tag", "{%p endif %}"),
        *_DE_COMPLAINT,
    ],
    LetterKind.UNVERIFIABLE: [
        ("title", "Ihr Antrag auf {{ right }}: Wir konnten Sie nicht identifizieren"),
        *_DE_GREETING,
        (
            "p",
            "Sie haben am {{ received_on }} einen Antrag auf {{ right }} gestellt. Wir konnten "
            "nicht feststellen, dass Sie die Person sind, um deren Daten es geht (Art. 11 Abs. 2 "
            "DSGVO). Deshalb können wir den Antrag nicht bearbeiten.",
        ),
        ("p", "Was wir geprüft haben: {{ reason }}"),
        (
            "p",
            "Sie können uns zusätzliche Angaben schicken, mit denen wir Sie identifizieren "
            "können, zum Beispiel:",
        ),
        ("tag", "{%p for item in may_provide %}"),
        ("bullet", "{{ item }}"),
        ("tag", "{%p endfor %}"),
        ("p", "Dann prüfen wir Ihren Antrag erneut."),
        *_DE_COMPLAINT,
    ],
}

# --- English ---------------------------------------------------------------------------------

_EN_OPENING: list[Block] = [
    ("small", "{{ controller.name }} · {{ controller.address_line }}"),
    ("addr", "{{ recipient.name }}"),
    ("tag", "{%p for line in recipient.address %}"),
    ("addr", "{{ line }}"),
    ("tag", "{%p endfor %}"),
    ("gap", ""),
    ("right", "{{ letter_date }}"),
    ("addr", "Our reference: {{ reference }}"),
    ("p", "Your request of {{ received_on }}"),
]
_EN_GREETING: list[Block] = [("p", "Dear {{ recipient.name }},")]
_EN_COMPLAINT: list[Block] = [
    ("heading", "Your right to complain and to go to court"),
    (
        "p",
        "You may lodge a complaint with a data protection supervisory authority (Art. 77 GDPR), "
        "in particular in the country where you live or work. The authority responsible for us "
        "is:",
    ),
    ("p", "{{ authority.name }}, {{ authority.address_line }}"),
    ("p", "{{ authority.contact_line }}"),
    (
        "p",
        "You may also take legal action against us (Art. 79 GDPR), before the courts where we "
        "are established or where you habitually reside.",
    ),
]
_EN_CLOSING: list[Block] = [
    (
        "p",
        "If you have questions about this letter, write to {{ controller.email }}. You can "
        "reach our data protection officer, {{ dpo.name }}, at {{ dpo.email }}. Please quote "
        "our reference {{ reference }}.",
    ),
    ("p", "Yours sincerely,"),
    ("p", "{{ controller.name }}"),
    ("p", "Data protection"),
]
_EN_NOTIFIED: list[Block] = [
    ("tag", "{%p if notified %}"),
    ("tag", "{%p for name in notified %}"),
    ("bullet", "{{ name }}"),
    ("tag", "{%p endfor %}"),
    ("tag", "{%p else %}"),
    ("bullet", "Nobody: we have not passed these data to anyone else."),
    ("tag", "{%p endif %}"),
]
_EN_ERASED: list[Block] = [
    (
        "p",
        "On {{ received_on }} you asked us to erase the data about you (Art. 17 GDPR). Legal "
        "basis of the erasure: {{ ground }}.",
    ),
    ("p", "On {{ done_on }} we erased:"),
    ("tag", "{%p for item in erased %}"),
    ("bullet", "{{ item.system }}: {{ item.categories }}"),
    ("tag", "{%p endfor %}"),
    (
        "p",
        "Where a record has to remain for technical reasons, we overwrote everything in it that "
        "relates to you.",
    ),
    ("p", "We told these recipients about the erasure (Art. 19 GDPR):"),
    *_EN_NOTIFIED,
]

EN: dict[LetterKind, list[Block]] = {
    LetterKind.ACKNOWLEDGEMENT: [
        ("title", "Acknowledgement: {{ right }}"),
        *_EN_GREETING,
        (
            "p",
            "we received your request on {{ received_on }}. You are exercising your right to "
            "{{ right }}. This is your right; you do not need to give reasons.",
        ),
        (
            "p",
            "We confirmed that the request comes from you by {{ verified_by }}. Next, we search "
            "all our systems for data about you and act on your request.",
        ),
        ("bold", "You will receive our answer by {{ due_on }} at the latest."),
        ("p", "You do not need to do anything. If we need anything else, we will contact you."),
    ],
    LetterKind.IDENTITY_REQUEST: [
        ("title", "Your request for {{ right }}: please confirm that it comes from you"),
        *_EN_GREETING,
        (
            "p",
            "we received your request on {{ received_on }}. Before we disclose or change any "
            "data, we must be sure that the request comes from you, so that nobody else receives "
            "your data (Art. 12(6) GDPR).",
        ),
        ("p", "Why we ask: {{ doubt }}"),
        ("p", "All we need for this are these details:"),
        ("tag", "{%p for item in needed %}"),
        ("bullet", "{{ item }}"),
        ("tag", "{%p endfor %}"),
        ("p", "{{ reply_to }}"),
        (
            "p",
            "We do not need a copy of your ID. We use what you send only to check that the "
            "request comes from you and delete it afterwards; we keep only a note that and when "
            "we checked.",
        ),
        (
            "p",
            "As soon as we have your answer, we will work on your request. You will receive our "
            "answer by {{ due_on }} at the latest.",
        ),
    ],
    LetterKind.EXTENSION: [
        ("title", "Your request for {{ right }}: we need more time"),
        *_EN_GREETING,
        (
            "p",
            "we received your request on {{ received_on }}. We normally answer within one month, "
            "in this case by {{ first_due_on }}. In your case we need longer.",
        ),
        ("p", "The reason: {{ reason }}"),
        (
            "bold",
            "We therefore extend the deadline by two months under Art. 12(3) GDPR. You will "
            "receive our answer by {{ due_on }} at the latest.",
        ),
        ("p", "If we finish earlier, we will answer earlier."),
    ],
    LetterKind.ACCESS: [
        ("title", "Access to your data under Art. 15 GDPR"),
        *_EN_GREETING,
        (
            "p",
            "on {{ received_on }} you asked us which data about you we process. This is our "
            "answer.",
        ),
        ("heading", "1. Yes, we process data about you"),
        ("p", "We found data about you in these systems:"),
        ("tag", "{%p for store in found %}"),
        ("bullet", "{{ store.system }}: {{ store.categories }}"),
        ("tag", "{%p endfor %}"),
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
        ("heading", "4. Transfers to countries outside the EU (Art. 15(2) GDPR)"),
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
            "based on legitimate interests and to direct marketing (Art. 21 GDPR). You may "
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
        *_EN_COMPLAINT,
    ],
    LetterKind.NEGATIVE: [
        ("title", "Your request for {{ right }}: we hold no data about you"),
        *_EN_GREETING,
        ("p", "on {{ received_on }} you made a request for {{ right }}."),
        (
            "bold",
            "Under the details you gave us ({{ identifiers }}), we do not process any data "
            "about you.",
        ),
        ("p", "We searched these systems:"),
        ("tag", "{%p for store in searched %}"),
        ("bullet", "{{ store.system }} ({{ store.categories }})"),
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
        *_EN_COMPLAINT,
    ],
    LetterKind.RECTIFICATION: [
        ("title", "Rectification of your data (Art. 16 GDPR)"),
        *_EN_GREETING,
        (
            "p",
            "on {{ received_on }} you asked us to rectify data about you. We did so on "
            "{{ done_on }}:",
        ),
        ("tag", "{%p for change in changes %}"),
        ("bullet", "{{ change.field }}: now “{{ change.value }}”"),
        ("tag", "{%p endfor %}"),
        ("p", "We told these recipients about the rectification (Art. 19 GDPR):"),
        *_EN_NOTIFIED,
    ],
    LetterKind.ERASURE: [
        ("title", "Erasure of your data (Art. 17 GDPR)"),
        *_EN_GREETING,
        *_EN_ERASED,
        (
            "p",
            "We keep the record of this request itself to be able to show that we carried it "
            "out (Art. 5(2) GDPR).",
        ),
    ],
    LetterKind.PARTIAL_ERASURE: [
        ("title", "Erasure of your data (Art. 17 GDPR): in part, with a duty to retain"),
        *_EN_GREETING,
        *_EN_ERASED,
        ("heading", "What we still have to keep"),
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
            "We have restricted these data (Art. 18 GDPR): we use them only to meet that legal "
            "duty and erase them as soon as the period ends.",
        ),
        *_EN_COMPLAINT,
    ],
    LetterKind.REFUSAL: [
        ("title", "Your request for {{ right }}: our decision"),
        *_EN_GREETING,
        (
            "p",
            "on {{ received_on }} you made a request for {{ right }}. We will not act on this "
            "request.",
        ),
        ("p", "{{ ground_text }}"),
        ("p", "Our reasons: {{ reason }}"),
        ("tag", "{%p if fee %}"),
        ("p", "{{ fee }}"),
        ("tag", "{%p endif %}"),
        *_EN_COMPLAINT,
    ],
    LetterKind.UNVERIFIABLE: [
        ("title", "Your request for {{ right }}: we could not identify you"),
        *_EN_GREETING,
        (
            "p",
            "on {{ received_on }} you made a request for {{ right }}. We could not establish "
            "that you are the person the data is about (Art. 11(2) GDPR), so we cannot act on "
            "the request.",
        ),
        ("p", "What we checked: {{ reason }}"),
        ("p", "You may send us additional information that identifies you, for example:"),
        ("tag", "{%p for item in may_provide %}"),
        ("bullet", "{{ item }}"),
        ("tag", "{%p endfor %}"),
        ("p", "We will then look at your request again."),
        *_EN_COMPLAINT,
    ],
}

BLUEPRINTS: dict[str, tuple[list[Block], dict[LetterKind, list[Block]], list[Block]]] = {
    "de": (_DE_OPENING, DE, _DE_CLOSING),
    "en": (_EN_OPENING, EN, _EN_CLOSING),
}
_FOOTER = {
    "de": "{{ controller.name }} · {{ controller.address_line }} · {{ controller.email }} · "
    "Datenschutzbeauftragte/r: {{ dpo.name }}, {{ dpo.email }}",
    "en": "{{ controller.name }} · {{ controller.address_line }} · {{ controller.email }} · "
    "Data protection officer: {{ dpo.name }}, {{ dpo.email }}",
}


def blocks(language: str, kind: LetterKind) -> list[Block]:
    """The whole letter: opening, the kind's body, closing."""
    opening, bodies, closing = BLUEPRINTS[language]
    return [*opening, *bodies[kind], *closing]


def write_templates(directory: Path, *, overwrite: bool = False) -> list[Path]:
    """Write ``<directory>/<lang>/<kind>.docx`` for every language and kind; existing files
    are kept unless ``overwrite``. Returns the files written."""
    written: list[Path] = []
    for language in BLUEPRINTS:
        for kind in LetterKind:
            path = directory / language / f"{kind.value}.docx"
            if path.exists() and not overwrite:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            _document(blocks(language, kind), _FOOTER[language]).save(str(path))
            written.append(path)
    return written


def _document(content: Sequence[Block], footer: str) -> WordDocument:
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)  # A4
    section.left_margin, section.right_margin = Cm(2.5), Cm(2.0)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
    normal = document.styles["Normal"]
    normal.font.name = "Liberation Sans"
    normal.font.size = Pt(10.5)
    normal.paragraph_format.space_after = Pt(6)

    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    name = header.add_run("{{ controller.name }}")
    name.bold = True
    name.font.size = Pt(13)
    header.add_run("\n{{ controller.address_line }}\n{{ controller.email }}").font.size = Pt(9)

    foot = section.footer.paragraphs[0]
    foot.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = foot.add_run(footer)
    run.font.size = Pt(8)
    run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)

    for style, text in content:
        if style == "bullet":
            document.add_paragraph(text, style="List Bullet")
            continue
        paragraph = document.add_paragraph()
        run = paragraph.add_run(text)
        if style == "title":
            run.bold = True
            run.font.size = Pt(12.5)
            paragraph.paragraph_format.space_before = Pt(18)
            paragraph.paragraph_format.space_after = Pt(12)
        elif style == "heading":
            run.bold = True
            paragraph.paragraph_format.space_before = Pt(10)
            paragraph.paragraph_format.keep_with_next = True
        elif style == "bold":
            run.bold = True
        elif style == "right":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        elif style == "small":
            run.font.size = Pt(7.5)
            run.underline = True
        elif style in ("addr", "tag"):
            paragraph.paragraph_format.space_after = Pt(0)
        elif style == "gap":
            paragraph.paragraph_format.space_after = Pt(24)
        elif style != "p":
            raise ValueError(f"unknown block style {style!r}")
    _slim(document)
    return document


# python-docx's blank document carries ~800 KB of style definitions (every latent style, and
# a Word 2010 copy of them), a thumbnail and custom XML: parsing and zipping them is most of
# the cost of every letter. The templates keep only the styles they use.
_KEEP_STYLES = {"Normal", "ListBullet", "Header", "Footer", "DefaultParagraphFont"}
_DROP_PARTS = ("stylesWithEffects", "customXml", "thumbnail")


def _slim(document: WordDocument) -> None:
    for rels in (document.part.rels, document.part.package.rels):
        for rid in [r.rId for r in rels.values() if r.reltype.rsplit("/", 1)[-1] in _DROP_PARTS]:
            del rels[rid]
    styles = document.styles.element
    latent = styles.find(qn("w:latentStyles"))
    if latent is not None:
        styles.remove(latent)
    by_id = {el.get(qn("w:styleId")): el for el in styles.findall(qn("w:style"))}
    keep, todo = set(), [s for s in _KEEP_STYLES | _defaults(by_id) if s in by_id]
    while todo:
        style_id = todo.pop()
        if style_id in keep:
            continue
        keep.add(style_id)
        for tag in ("w:basedOn", "w:next", "w:link"):
            ref = by_id[style_id].find(qn(tag))
            if ref is not None and ref.get(qn("w:val")) in by_id:
                todo.append(ref.get(qn("w:val")))
    for style_id, element in by_id.items():
        if style_id not in keep:
            styles.remove(element)


def _defaults(by_id: dict[str | None, Any]) -> set[str]:
    """The default style of each type (paragraph, character, table, numbering)."""
    return {
        str(style_id)
        for style_id, element in by_id.items()
        if element.get(qn("w:default")) in ("1", "true")
    }
