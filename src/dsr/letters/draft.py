"""The access letter as it would be written now, as text for the DPO's preview: rendered from
the same template and facts as the real one, and not archived."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlmodel import select

from dsr.domain.deadlines import receipt_date
from dsr.domain.vocabulary import Language
from dsr.letters.catalog import LetterKind
from dsr.letters.office import DOWNLOAD_DAYS, LetterOffice
from dsr.letters.render import render_docx
from dsr.models import Request, Subject, Task
from dsr.models.base import utcnow


async def access_draft(office: LetterOffice, request: Request, withheld: list[str]) -> list[str]:
    """The paragraphs of the access letter for ``request``, with ``withheld`` (what the
    letter says about withheld data) in it."""
    from docx import Document  # docx and lxml: only when rendering

    tasks = list(
        (await office.session.exec(select(Task).where(Task.request_id == request.id))).all()
    )
    writer = office.writer(request)
    subject = await office.session.get_one(Subject, request.subject_id)
    common = writer.common(
        request,
        office.vault.open_subject(subject),
        receipt_date(request.received_at, office.timezone),
        office.today(),
    )
    facts = writer.access(tasks, (utcnow() + timedelta(days=DOWNLOAD_DAYS)).date())
    facts["redactions"] = withheld
    template = office.template(LetterKind.ACCESS, Language(request.language).letters)
    document = Document(io.BytesIO(render_docx(template, {**common, **facts})))
    return [p.text.strip() for p in document.paragraphs if p.text.strip()]
