"""The grounds on which the DPO may refuse a request, as data (LEGAL.md §4, §7).

Each ground names its provision, the kinds of request it can answer, and its wording in both
languages: the label on the DPO's desk, the decision sentence and the paragraph of the letter.
A refusal always needs the DPO's own reason as well (Art. 12(4): the reasons; § 34(2) BDSG:
a refusal of access is documented with its reasons). The first three keep the names the API
accepted before.
"""

from __future__ import annotations

from dataclasses import dataclass

from dsr.domain.vocabulary import RejectionGround, RequestKind

ALL_KINDS = frozenset(RequestKind)
ACCESS = frozenset({RequestKind.ACCESS, RequestKind.PORTABILITY})
ERASURE = frozenset({RequestKind.ERASURE})

REFUSE = {
    "de": "Diesem Antrag kommen wir nicht nach.",
    "en": "We will not act on this request.",
}
PARTLY = {
    "de": "Diesem Antrag kommen wir nur teilweise nach.",
    "en": "We can act on this request only in part.",
}
FEE = {
    "de": "Wir sind jedoch bereit, Ihren Antrag gegen ein angemessenes Entgelt von %(fee)s zu "
    "bearbeiten, das sich nach unseren Verwaltungskosten richtet (Art. 12 Abs. 5 Satz 2 lit. a "
    "DSGVO). Teilen Sie uns bitte unter Angabe unseres Zeichens mit, ob Sie das wünschen; vor "
    "Ihrer Zusage entstehen Ihnen keine Kosten.",
    "en": "We are, however, prepared to act on your request for a reasonable fee of %(fee)s, "
    "based on our administrative costs (Art. 12(5), second sentence, point (a) GDPR). Please "
    "tell us, quoting our reference, whether you wish this; you incur no costs before you agree.",
}


@dataclass(frozen=True, slots=True)
class Ground:
    code: str
    provision: dict[str, str]
    label: dict[str, str]  # the DPO's choice
    text: dict[str, str]  # the letter's paragraph
    kinds: frozenset[RequestKind] = ALL_KINDS
    decision: dict[str, str] | None = None  # default: REFUSE
    fee: bool = False  # Art. 12(5)(a): a fee may be offered instead
    identity: bool = False  # Art. 11(2): the unverifiable letter

    def decided(self, language: str) -> str:
        return (self.decision or REFUSE)[language]


GROUNDS: tuple[Ground, ...] = (
    Ground(
        RejectionGround.UNVERIFIABLE.value,
        {"de": "Art. 11 Abs. 2 DSGVO", "en": "Art. 11(2) GDPR"},
        {"de": "Nicht identifizierbar (Art. 11 Abs. 2)", "en": "Cannot be identified (Art. 11(2))"},
        {
            "de": "Wir konnten nicht feststellen, dass Sie die Person sind, um deren Daten es "
            "geht (Art. 11 Abs. 2 DSGVO). Geben Sie uns zusätzliche Angaben, mit denen wir Sie "
            "identifizieren können, prüfen wir Ihren Antrag erneut.",
            "en": "We could not identify you as the person the data is about (Art. 11(2) GDPR). "
            "If you give us more information that identifies you, we will look at your request "
            "again.",
        },
        identity=True,
    ),
    Ground(
        RejectionGround.MANIFESTLY_UNFOUNDED.value,
        {"de": "Art. 12 Abs. 5 Satz 2 lit. b DSGVO", "en": "Art. 12(5)(b) GDPR"},
        {
            "de": "Offenkundig unbegründet (Art. 12 Abs. 5)",
            "en": "Manifestly unfounded (Art. 12(5))",
        },
        {
            "de": "Wir halten den Antrag für offenkundig unbegründet (Art. 12 Abs. 5 Satz 2 lit. b "
            "DSGVO). "
            "Dass dies so ist, müssen wir nachweisen; wir legen diese Ausnahme eng aus.",
            "en": "We consider the request manifestly unfounded (Art. 12(5)(b) GDPR). It is for us "
            "to demonstrate this; we apply this exception narrowly.",
        },
        fee=True,
    ),
    Ground(
        RejectionGround.EXCESSIVE.value,
        {"de": "Art. 12 Abs. 5 Satz 2 lit. b DSGVO", "en": "Art. 12(5)(b) GDPR"},
        {
            "de": "Exzessiv, v. a. wiederholt (Art. 12 Abs. 5)",
            "en": "Excessive or repetitive (Art. 12(5))",
        },
        {
            "de": "Wir halten den Antrag für exzessiv, insbesondere weil er frühere Anträge "
            "häufig wiederholt (Art. 12 Abs. 5 Satz 2 lit. b DSGVO).",
            "en": "We consider the request excessive, in particular because it repeats earlier "
            "requests (Art. 12(5)(b) GDPR).",
        },
        fee=True,
    ),
    Ground(
        RejectionGround.ERASURE_FREEDOM_OF_EXPRESSION.value,
        {"de": "Art. 17 Abs. 3 lit. a DSGVO", "en": "Art. 17(3)(a) GDPR"},
        {
            "de": "Löschung: Meinungs- und Informationsfreiheit (Art. 17 Abs. 3 lit. a)",
            "en": "Erasure: freedom of expression and information (Art. 17(3)(a))",
        },
        {
            "de": "Die Verarbeitung ist zur Ausübung des Rechts auf freie Meinungsäußerung und "
            "Information erforderlich (Art. 17 Abs. 3 lit. a DSGVO).",
            "en": "The processing is necessary for exercising the right of freedom of expression "
            "and information (Art. 17(3)(a) GDPR).",
        },
        kinds=ERASURE,
    ),
    Ground(
        RejectionGround.ERASURE_LEGAL_OBLIGATION.value,
        {"de": "Art. 17 Abs. 3 lit. b DSGVO", "en": "Art. 17(3)(b) GDPR"},
        {
            "de": "Löschung: rechtliche Verpflichtung (Art. 17 Abs. 3 lit. b)",
            "en": "Erasure: legal obligation (Art. 17(3)(b))",
        },
        {
            "de": "Wir sind rechtlich verpflichtet, die Daten weiter zu verarbeiten, insbesondere "
            "sie aufzubewahren (Art. 17 Abs. 3 lit. b DSGVO). Wir haben sie gesperrt und "
            "verarbeiten sie nur noch zu diesem Zweck (Art. 18 DSGVO).",
            "en": "We are legally obliged to continue processing the data, in particular to "
            "retain them (Art. 17(3)(b) GDPR). We have restricted them and process them only for "
            "that purpose (Art. 18 GDPR).",
        },
        kinds=ERASURE,
    ),
    Ground(
        RejectionGround.ERASURE_PUBLIC_HEALTH.value,
        {"de": "Art. 17 Abs. 3 lit. c DSGVO", "en": "Art. 17(3)(c) GDPR"},
        {
            "de": "Löschung: öffentliche Gesundheit (Art. 17 Abs. 3 lit. c)",
            "en": "Erasure: public health (Art. 17(3)(c))",
        },
        {
            "de": "Die Verarbeitung ist aus Gründen des öffentlichen Interesses im Bereich der "
            "öffentlichen Gesundheit erforderlich (Art. 17 Abs. 3 lit. c DSGVO).",
            "en": "The processing is necessary for reasons of public interest in the area of "
            "public health (Art. 17(3)(c) GDPR).",
        },
        kinds=ERASURE,
    ),
    Ground(
        RejectionGround.ERASURE_ARCHIVING_RESEARCH.value,
        {"de": "Art. 17 Abs. 3 lit. d DSGVO", "en": "Art. 17(3)(d) GDPR"},
        {
            "de": "Löschung: Archiv, Forschung, Statistik (Art. 17 Abs. 3 lit. d)",
            "en": "Erasure: archiving, research, statistics (Art. 17(3)(d))",
        },
        {
            "de": "Die Verarbeitung ist für im öffentlichen Interesse liegende Archivzwecke, "
            "wissenschaftliche oder historische Forschungszwecke oder statistische Zwecke "
            "erforderlich, und die Löschung würde diese Ziele unmöglich machen oder ernsthaft "
            "beeinträchtigen (Art. 17 Abs. 3 lit. d DSGVO).",
            "en": "The processing is necessary for archiving purposes in the public interest, "
            "scientific or historical research purposes or statistical purposes, and erasure "
            "would render impossible or seriously impair these objectives (Art. 17(3)(d) GDPR).",
        },
        kinds=ERASURE,
    ),
    Ground(
        RejectionGround.ERASURE_LEGAL_CLAIMS.value,
        {"de": "Art. 17 Abs. 3 lit. e DSGVO", "en": "Art. 17(3)(e) GDPR"},
        {
            "de": "Löschung: Rechtsansprüche (Art. 17 Abs. 3 lit. e)",
            "en": "Erasure: legal claims (Art. 17(3)(e))",
        },
        {
            "de": "Wir benötigen die Daten zur Geltendmachung, Ausübung oder Verteidigung von "
            "Rechtsansprüchen (Art. 17 Abs. 3 lit. e DSGVO).",
            "en": "We need the data for the establishment, exercise or defence of legal claims "
            "(Art. 17(3)(e) GDPR).",
        },
        kinds=ERASURE,
    ),
    Ground(
        RejectionGround.BDSG_35_NON_AUTOMATED.value,
        {"de": "§ 35 Abs. 1 BDSG", "en": "Section 35(1) BDSG"},
        {
            "de": "Löschung unmöglich, nicht automatisiert (§ 35 BDSG)",
            "en": "Erasure impossible, non-automated (s. 35 BDSG)",
        },
        {
            "de": "Die Daten werden nicht automatisiert verarbeitet, und ihre Löschung ist wegen "
            "der besonderen Art der Speicherung nicht oder nur mit unverhältnismäßig hohem "
            "Aufwand möglich (§ 35 Abs. 1 BDSG). An die Stelle der Löschung tritt die "
            "Einschränkung der Verarbeitung (Art. 18 DSGVO).",
            "en": "The data are not processed by automated means, and erasing them is "
            "impossible, or possible only with disproportionate effort, because of the specific "
            "mode of storage (Section 35(1) BDSG, the German Federal Data Protection Act). "
            "Instead of erasure, their processing is restricted (Art. 18 GDPR).",
        },
        kinds=ERASURE,
        decision={
            "de": "Statt die Daten zu löschen, schränken wir ihre Verarbeitung ein.",
            "en": "Instead of erasing the data, we restrict their processing.",
        },
    ),
    Ground(
        RejectionGround.OBJECTION_COMPELLING_GROUNDS.value,
        {"de": "Art. 21 Abs. 1 Satz 2 DSGVO", "en": "Art. 21(1), second sentence, GDPR"},
        {
            "de": "Widerspruch: zwingende schutzwürdige Gründe (Art. 21 Abs. 1 S. 2)",
            "en": "Objection: compelling legitimate grounds (Art. 21(1) s. 2)",
        },
        {
            "de": "Wir haben Ihre Gründe sorgfältig gegen unsere Interessen abgewogen. Für die "
            "Verarbeitung bestehen zwingende schutzwürdige Gründe, die Ihre Interessen, Rechte "
            "und Freiheiten überwiegen, oder sie dient der Geltendmachung, Ausübung oder "
            "Verteidigung von Rechtsansprüchen (Art. 21 Abs. 1 Satz 2 DSGVO).",
            "en": "We have carefully weighed your grounds against our interests. There are "
            "compelling legitimate grounds for the processing which override your interests, "
            "rights and freedoms, or the processing serves the establishment, exercise or "
            "defence of legal claims (Art. 21(1), second sentence, GDPR).",
        },
        kinds=frozenset({RequestKind.OBJECTION}),
    ),
    Ground(
        RejectionGround.RIGHTS_OF_OTHERS.value,
        {"de": "Art. 15 Abs. 4 DSGVO", "en": "Art. 15(4) GDPR"},
        {
            "de": "Rechte anderer (Art. 15 Abs. 4): teilweise",
            "en": "Rights of others (Art. 15(4)): in part",
        },
        {
            "de": "Soweit die Kopie Daten anderer Personen oder Geschäftsgeheimnisse enthält, "
            "dürfen wir sie nicht herausgeben, weil sie deren Rechte und Freiheiten "
            "beeinträchtigen würde (Art. 15 Abs. 4 DSGVO). Alle übrigen Daten erhalten Sie.",
            "en": "To the extent that the copy contains other people's data or trade secrets, we "
            "may not release it, because it would adversely affect their rights and freedoms "
            "(Art. 15(4) GDPR). You receive all other data.",
        },
        kinds=ACCESS,
        decision=PARTLY,
    ),
    Ground(
        RejectionGround.BDSG_29_SECRECY.value,
        {"de": "§ 29 Abs. 1 Satz 2 BDSG", "en": "Section 29(1), second sentence, BDSG"},
        {
            "de": "Geheimhaltungspflicht (§ 29 Abs. 1 S. 2 BDSG)",
            "en": "Duty of secrecy (s. 29(1) BDSG)",
        },
        {
            "de": "Durch die Auskunft würden Informationen offenbart, die nach einer "
            "Rechtsvorschrift oder ihrem Wesen nach, insbesondere wegen der überwiegenden "
            "berechtigten Interessen eines Dritten, geheim gehalten werden müssen (§ 29 Abs. 1 "
            "Satz 2 BDSG).",
            "en": "Giving access would disclose information which must be kept secret under a "
            "legal provision or by its nature, in particular because of a third party's "
            "overriding legitimate interests (Section 29(1), second sentence, BDSG, the German "
            "Federal Data Protection Act).",
        },
        kinds=ACCESS,
    ),
    Ground(
        RejectionGround.BDSG_34_RETENTION_ONLY.value,
        {"de": "§ 34 Abs. 1 Nr. 2 BDSG", "en": "Section 34(1) no. 2 BDSG"},
        {
            "de": "Nur noch aufbewahrt, Auskunft unverhältnismäßig (§ 34 BDSG)",
            "en": "Kept only for retention, disproportionate (s. 34 BDSG)",
        },
        {
            "de": "Die Daten sind nur noch gespeichert, weil sie aufgrund gesetzlicher "
            "Aufbewahrungsvorschriften nicht gelöscht werden dürfen, oder sie dienen "
            "ausschließlich der Datensicherung oder der Datenschutzkontrolle; die Auskunft würde "
            "einen unverhältnismäßigen Aufwand erfordern, und eine Verarbeitung zu anderen "
            "Zwecken ist durch technische und organisatorische Maßnahmen ausgeschlossen (§ 34 "
            "Abs. 1 Nr. 2 BDSG). Die Gründe dieser Entscheidung haben wir dokumentiert (§ 34 "
            "Abs. 2 BDSG).",
            "en": "The data are stored only because statutory retention rules forbid their "
            "erasure, or only for data security or data protection control; giving access would "
            "require disproportionate effort, and technical and organisational measures exclude "
            "processing for other purposes (Section 34(1) no. 2 BDSG, the German Federal Data "
            "Protection Act). We have documented the reasons for this decision (Section "
            "34(2) BDSG).",
        },
        kinds=ACCESS,
    ),
)

BY_CODE: dict[str, Ground] = {ground.code: ground for ground in GROUNDS}


def ground(code: str) -> Ground | None:
    return BY_CODE.get(code)


def grounds_for(kind: RequestKind) -> list[Ground]:
    """The grounds the DPO may choose for a request of ``kind``."""
    return [g for g in GROUNDS if kind in g.kinds]
