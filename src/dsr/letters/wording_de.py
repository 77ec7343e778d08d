"""The German letters, as blocks for ``layout.write_body`` (the single source of the shipped
``templates/letters/de/*.docx``; ``make letters`` writes them)."""

from __future__ import annotations

from dsr.letters.catalog import LetterKind
from dsr.letters.layout import Block, Labels

LABELS = Labels(
    language="de-DE",
    info=(
        ("Ihre Nachricht vom", "{{ received_on }}"),
        ("Unser Zeichen", "{{ reference }}"),
        ("Ansprechpartner", "{{ dpo.name }}"),
        ("", "{{ dpo.title }}"),
        ("E-Mail", "{{ dpo.email }}"),
        ("Datum", "{{ letter_date }}"),
    ),
    page="Seite {page} von {pages}",
    return_line="{{ controller.name }} · {{ controller.address_line }}",
    letterhead=(
        "{{ controller.name }}",
        "{{ controller.address_line }}",
        "{{ controller.contact_line }}",
    ),
    following_header="{{ controller.name }} · Unser Zeichen {{ reference }} · {{ letter_date }}",
    footer=("{{ controller.legal_line }}", "{{ dpo.title }}: {{ dpo.name }}, {{ dpo.email }}"),
)
RECIPIENT: list[Block] = [
    ("addr", "{{ recipient.name }}"),
    ("tag", "{%p for line in recipient.address %}"),
    ("addr", "{{ line }}"),
    ("tag", "{%p endfor %}"),
]
GREETING: list[Block] = [("p", "Guten Tag {{ recipient.name }},")]
COMPLAINT: list[Block] = [
    ("heading", "Ihr Recht auf Beschwerde und auf gerichtlichen Rechtsbehelf"),
    (
        "p",
        "Sie haben das Recht, sich bei einer Datenschutz-Aufsichtsbehörde zu beschweren "
        "(Art. 77 DSGVO), insbesondere in dem Mitgliedstaat Ihres gewöhnlichen Aufenthaltsorts, "
        "Ihres Arbeitsplatzes oder des Orts des mutmaßlichen Verstoßes. Für uns zuständig ist:",
    ),
    ("p", "{{ authority.name }}, {{ authority.address_line }}"),
    ("tag", "{%p if authority.postal_line %}"),
    ("p", "Postanschrift: {{ authority.postal_line }}"),
    ("tag", "{%p endif %}"),
    ("p", "{{ authority.contact_line }}"),
    (
        "p",
        "Unabhängig davon können Sie gerichtlich gegen uns vorgehen (Art. 79 DSGVO), wahlweise "
        "bei einem Gericht an unserem Sitz oder an Ihrem gewöhnlichen Aufenthaltsort.",
    ),
]
CLOSING: list[Block] = [
    (
        "closing",
        "Bei Fragen zu diesem Schreiben erreichen Sie uns unter {{ controller.email }}"
        "{{ controller.phone_clause }}; {{ dpo.name }} ({{ dpo.title }}) erreichen Sie unter "
        "{{ dpo.email }}. Bitte nennen Sie dabei unser Zeichen {{ reference }}.",
    ),
    ("signature", "Mit freundlichen Grüßen\n\n{{ controller.name }}\nDatenschutz"),
]
NOTIFIED: list[Block] = [
    ("tag", "{%p if notified %}"),
    ("tag", "{%p for name in notified %}"),
    ("bullet", "{{ name }}"),
    ("tag", "{%p endfor %}"),
    ("tag", "{%p else %}"),
    ("bullet", "Niemand: An andere Stellen haben wir diese Daten nicht weitergegeben."),
    ("tag", "{%p endif %}"),
]
PAPER_NOT_FOUND: list[Block] = [
    ("tag", "{%p if paper_not_found %}"),
    ("p", "Außerdem haben wir hier gesucht:"),
    ("tag", "{%p for system in paper_not_found %}"),
    ("bullet", "{{ system }}: in der Papierakte nichts gefunden"),
    ("tag", "{%p endfor %}"),
    ("tag", "{%p endif %}"),
]
ERASED: list[Block] = [
    (
        "p",
        "Sie haben am {{ received_on }} verlangt, dass wir die Sie betreffenden Daten löschen "
        "(Art. 17 DSGVO). Grundlage der Löschung: {{ ground }}.",
    ),
    ("p", "Am {{ done_on }} haben wir gelöscht:"),
    ("tag", "{%p for item in erased %}"),
    ("bullet", "{{ item.system }}: {{ item.categories }}"),
    ("tag", "{%p endfor %}"),
    *PAPER_NOT_FOUND,
    (
        "p",
        "Wo ein Datensatz aus technischen Gründen bestehen bleiben muss, haben wir alle Angaben "
        "zu Ihrer Person darin überschrieben.",
    ),
    ("p", "Über die Löschung haben wir unterrichtet (Art. 19 DSGVO):"),
    *NOTIFIED,
]
ANSWER_BY: list[Block] = [
    ("tag", "{%p if due_on %}"),
    ("bold", "Unsere Antwort erhalten Sie spätestens am {{ due_on }}."),
    ("tag", "{%p endif %}"),
]

BODIES: dict[LetterKind, list[Block]] = {
    LetterKind.ACKNOWLEDGEMENT: [
        ("title", "{{ matter }}: Eingangsbestätigung"),
        *GREETING,
        (
            "p",
            "{{ matter }} ist am {{ received_on }} bei uns eingegangen. Sie machen Ihr {{ right }} "
            "geltend.",
        ),
        ("tag", "{%p if grounds_needed %}"),
        (
            "p",
            "Einen Widerspruch nach Art. 21 Abs. 1 DSGVO prüfen wir anhand der Gründe, die sich "
            "aus Ihrer besonderen Situation ergeben. Haben Sie uns diese noch nicht genannt, "
            "teilen Sie sie uns bitte unter Angabe unseres Zeichens mit.",
        ),
        ("tag", "{%p elif marketing %}"),
        (
            "p",
            "Einem Widerspruch gegen die Verarbeitung für Direktwerbung (Art. 21 Abs. 2 DSGVO) "
            "müssen Sie keine Begründung beifügen. Wir verwenden Ihre Daten ab sofort nicht mehr "
            "für Werbung (Art. 21 Abs. 3 DSGVO); Ihre Kontaktangabe behalten wir nur auf einer "
            "Sperrliste, damit Sie keine Werbung mehr von uns erhalten.",
        ),
        ("tag", "{%p else %}"),
        ("p", "Eine Begründung ist dafür nicht erforderlich."),
        ("tag", "{%p endif %}"),
        (
            "p",
            "Dass der Antrag von Ihnen stammt, haben wir festgestellt durch {{ verified_by }}. "
            "Als Nächstes prüfen wir unsere Systeme auf Daten zu Ihrer Person und bearbeiten "
            "Ihren Antrag.",
        ),
        *ANSWER_BY,
        ("tag", "{%p if not grounds_needed %}"),
        ("p", "Sie müssen nichts weiter tun. Benötigen wir noch etwas von Ihnen, melden wir uns."),
        ("tag", "{%p endif %}"),
    ],
    LetterKind.IDENTITY_REQUEST: [
        ("title", "{{ matter }}: Bitte bestätigen Sie, dass er von Ihnen stammt"),
        *GREETING,
        (
            "p",
            "{{ matter }} ist am {{ received_on }} bei uns eingegangen. Bevor wir Auskunft "
            "erteilen oder Daten ändern, müssen wir sicher sein, dass der Antrag von Ihnen "
            "stammt, damit "
            "Ihre Daten nicht in falsche Hände gelangen (Art. 12 Abs. 6 DSGVO).",
        ),
        ("tag", "{%p if on_file %}"),
        ("p", "Deshalb schreiben wir Ihnen an die Anschrift, die wir zu Ihnen gespeichert haben."),
        ("tag", "{%p endif %}"),
        ("p", "Warum wir nachfragen: {{ doubt }}"),
        ("tag", "{%p if needed_count %}"),
        ("p", "Es genügt, wenn Sie uns {{ needed_count }} der folgenden Angaben nennen:"),
        ("tag", "{%p else %}"),
        ("p", "Dafür benötigen wir nur diese Angaben:"),
        ("tag", "{%p endif %}"),
        ("tag", "{%p for item in needed %}"),
        ("bullet", "{{ item }}"),
        ("tag", "{%p endfor %}"),
        ("tag", "{%p if code %}"),
        ("bold", "Ihr Bestätigungscode: {{ code }}"),
        ("p", "Bitte nennen Sie diesen Code, wenn Sie anrufen oder schreiben."),
        ("tag", "{%p endif %}"),
        ("p", "{{ reply_to }}"),
        (
            "p",
            "Eine Ausweiskopie benötigen wir nicht. Ihre Angaben verwenden wir ausschließlich, "
            "um zu prüfen, dass der Antrag von Ihnen stammt, und löschen sie danach; wir "
            "vermerken nur, dass und wann wir geprüft haben.",
        ),
        (
            "p",
            "Sobald wir Ihre Antwort haben, bearbeiten wir Ihren Antrag. Unsere Antwort erhalten "
            "Sie spätestens am {{ due_on }}.",
        ),
    ],
    LetterKind.EXTENSION: [
        ("title", "{{ matter }}: Verlängerung der Frist"),
        *GREETING,
        (
            "p",
            "{{ matter }} ist am {{ received_on }} bei uns eingegangen. Grundsätzlich antworten "
            "wir innerhalb eines Monats nach Eingang (Art. 12 Abs. 3 Satz 1 DSGVO), hier also bis "
            "zum {{ first_due_on }}. In Ihrem Fall benötigen wir mehr Zeit.",
        ),
        ("p", "Der Grund: {{ reason }}"),
        (
            "bold",
            "Nach Art. 12 Abs. 3 Satz 2 DSGVO verlängern wir die Frist deshalb bis zum "
            "{{ due_on }} (drei Monate nach Eingang Ihres Antrags). Bis dahin erhalten Sie "
            "unsere Antwort.",
        ),
        ("p", "Sind wir früher fertig, antworten wir Ihnen früher."),
        *COMPLAINT,
    ],
    LetterKind.ACCESS: [
        ("title", "Auskunft nach Art. 15 DSGVO"),
        *GREETING,
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
        *PAPER_NOT_FOUND,
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
        ("heading", "4. Übermittlung in Drittländer (Art. 15 Abs. 2 DSGVO)"),
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
            "Verarbeitung auf Grundlage berechtigter Interessen können Sie aus Gründen, die sich "
            "aus Ihrer besonderen Situation ergeben, widersprechen, der Direktwerbung jederzeit "
            "ohne Begründung (Art. 21 DSGVO). Eine Einwilligung können Sie jederzeit mit Wirkung "
            "für die Zukunft widerrufen (Art. 7 Abs. 3 DSGVO).",
        ),
        ("heading", "6. Schwärzungen"),
        ("tag", "{%p if redactions %}"),
        ("tag", "{%p for item in redactions %}"),
        ("bullet", "{{ item }}"),
        ("tag", "{%p endfor %}"),
        ("tag", "{%p else %}"),
        ("p", "Wir haben nichts geschwärzt und nichts zurückgehalten."),
        ("tag", "{%p endif %}"),
        *COMPLAINT,
    ],
    LetterKind.NEGATIVE: [
        ("title", "{{ matter }}: keine Daten zu Ihrer Person gespeichert"),
        *GREETING,
        ("p", "am {{ received_on }} haben Sie Ihr {{ right }} geltend gemacht."),
        (
            "bold",
            "Unter den Angaben, nach denen wir gesucht haben ({{ identifiers }}), verarbeiten "
            "wir keine Daten zu Ihrer Person.",
        ),
        ("p", "Gesucht haben wir in diesen Systemen:"),
        ("tag", "{%p for store in searched %}"),
        ("bullet", "{{ store.system }}: {{ store.categories }}"),
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
        *COMPLAINT,
    ],
    LetterKind.RECTIFICATION: [
        ("title", "Berichtigung Ihrer Daten (Art. 16 DSGVO)"),
        *GREETING,
        (
            "p",
            "Sie haben am {{ received_on }} verlangt, dass wir Daten zu Ihrer Person berichtigen. "
            "Das haben wir am {{ done_on }} getan:",
        ),
        ("tag", "{%p for change in changes %}"),
        ("bullet", "{{ change.field }}: jetzt „{{ change.value }}“"),
        ("tag", "{%p endfor %}"),
        *PAPER_NOT_FOUND,
        ("p", "Über die Berichtigung haben wir unterrichtet (Art. 19 DSGVO):"),
        *NOTIFIED,
    ],
    LetterKind.ERASURE: [
        ("title", "Löschung Ihrer Daten (Art. 17 DSGVO)"),
        *GREETING,
        *ERASED,
        (
            "p",
            "Die Angaben zu diesem Antrag selbst bewahren wir auf, um nachweisen zu können, dass "
            "wir ihn erfüllt haben (Art. 5 Abs. 2 DSGVO).",
        ),
    ],
    LetterKind.PARTIAL_ERASURE: [
        ("title", "Löschung Ihrer Daten (Art. 17 DSGVO): teilweise"),
        *GREETING,
        *ERASED,
        ("heading", "Was wir nicht gelöscht haben"),
        ("tag", "{%p if held %}"),
        (
            "p",
            "Einige Daten dürfen wir noch nicht löschen, weil uns ein Gesetz verpflichtet, sie "
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
            "Diese Daten haben wir gesperrt (Art. 18 DSGVO): Wir verarbeiten sie nur noch, um die "
            "gesetzliche Aufbewahrungspflicht zu erfüllen.",
        ),
        ("tag", "{%p endif %}"),
        ("tag", "{%p if kept %}"),
        ("p", "Diese Einträge haben wir nicht gelöscht:"),
        ("tag", "{%p for item in kept %}"),
        ("bullet", "{{ item.what }} ({{ item.count }}): {{ item.why }}"),
        ("tag", "{%p endfor %}"),
        ("tag", "{%p endif %}"),
        *COMPLAINT,
    ],
    LetterKind.RESTRICTION: [
        ("title", "Einschränkung der Verarbeitung (Art. 18 DSGVO)"),
        *GREETING,
        (
            "p",
            "Sie haben am {{ received_on }} verlangt, dass wir die Verarbeitung Ihrer Daten "
            "einschränken. Am {{ done_on }} haben wir sie eingeschränkt: {{ scope }}.",
        ),
        ("tag", "{%p if ground %}"),
        ("p", "Grund der Einschränkung: {{ ground }}."),
        ("tag", "{%p endif %}"),
        (
            "p",
            "Solange die Einschränkung gilt, speichern wir diese Daten nur noch; verarbeiten "
            "dürfen wir sie nur mit Ihrer Einwilligung, zur Geltendmachung, Ausübung oder "
            "Verteidigung von Rechtsansprüchen, zum Schutz der Rechte anderer oder aus wichtigem "
            "öffentlichen Interesse (Art. 18 Abs. 2 DSGVO). Bevor wir die Einschränkung "
            "aufheben, teilen wir Ihnen das mit (Art. 18 Abs. 3 DSGVO).",
        ),
        ("p", "Über die Einschränkung haben wir unterrichtet (Art. 19 DSGVO):"),
        *NOTIFIED,
    ],
    LetterKind.RESTRICTION_LIFT: [
        ("title", "Ankündigung: Aufhebung der Einschränkung (Art. 18 Abs. 3 DSGVO)"),
        *GREETING,
        (
            "p",
            "auf Ihren Antrag vom {{ received_on }} haben wir die Verarbeitung Ihrer Daten "
            "eingeschränkt ({{ scope }}).",
        ),
        ("bold", "Wir werden diese Einschränkung am {{ lift_on }} aufheben."),
        ("p", "Der Grund: {{ reason }}"),
        (
            "p",
            "Sind Sie damit nicht einverstanden, schreiben Sie uns bitte vor diesem Tag unter "
            "Angabe unseres Zeichens.",
        ),
        *COMPLAINT,
    ],
    LetterKind.OBJECTION: [
        ("title", "Ihr Widerspruch (Art. 21 DSGVO)"),
        *GREETING,
        ("tag", "{%p if marketing %}"),
        (
            "p",
            "Sie haben am {{ received_on }} der Verarbeitung Ihrer Daten für Direktwerbung "
            "widersprochen (Art. 21 Abs. 2 DSGVO). Seit dem {{ done_on }} verwenden wir Ihre "
            "Daten nicht mehr für diesen Zweck (Art. 21 Abs. 3 DSGVO).",
        ),
        (
            "p",
            "Damit Sie keine Werbung mehr erhalten, führen wir Ihre Kontaktangabe auf einer "
            "Sperrliste; für nichts anderes verwenden wir sie.",
        ),
        ("tag", "{%p else %}"),
        (
            "p",
            "Sie haben am {{ received_on }} der Verarbeitung Ihrer Daten widersprochen "
            "(Art. 21 Abs. 1 DSGVO). Wir haben Ihre Gründe geprüft und Ihrem Widerspruch "
            "stattgegeben: Seit dem {{ done_on }} verarbeiten wir Ihre Daten für {{ scope }} "
            "nicht mehr.",
        ),
        ("tag", "{%p endif %}"),
    ],
    LetterKind.REFUSAL: [
        ("title", "{{ matter }}: unsere Entscheidung"),
        *GREETING,
        (
            "p",
            "am {{ received_on }} haben Sie Ihr {{ right }} geltend gemacht. {{ decision }}",
        ),
        ("p", "{{ ground_text }}"),
        ("p", "Unsere Gründe im Einzelnen: {{ reason }}"),
        ("tag", "{%p if fee %}"),
        ("p", "{{ fee }}"),
        ("tag", "{%p endif %}"),
        *COMPLAINT,
    ],
    LetterKind.UNVERIFIABLE: [
        ("title", "{{ matter }}: Wir konnten Sie nicht identifizieren"),
        *GREETING,
        (
            "p",
            "am {{ received_on }} haben Sie Ihr {{ right }} geltend gemacht. Wir konnten "
            "nicht feststellen, dass Sie die Person sind, um deren Daten es geht (Art. 11 Abs. 2 "
            "DSGVO). Deshalb können wir den Antrag derzeit nicht bearbeiten.",
        ),
        ("p", "Was wir geprüft haben: {{ reason }}"),
        (
            "p",
            "Sie können uns zusätzliche Angaben übermitteln, mit denen wir Sie identifizieren "
            "können (Art. 11 Abs. 2 Satz 2 DSGVO), zum Beispiel:",
        ),
        ("tag", "{%p for item in may_provide %}"),
        ("bullet", "{{ item }}"),
        ("tag", "{%p endfor %}"),
        ("p", "Dann prüfen wir Ihren Antrag erneut."),
        *COMPLAINT,
    ],
}
