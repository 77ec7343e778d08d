"""The person's languages: German, English, Turkish, Polish, Russian, Ukrainian and Arabic
(right to left) on the public pages and in the e-mails; letters in German or English, and the
mail that carries one says so in the person's language. Staff pages stay German or English."""

from __future__ import annotations

import io
import re
import subprocess

import docx
import pytest
from sqlmodel import select

from dsr.db import Database
from dsr.domain.vocabulary import Language
from dsr.letters.render import soffice
from dsr.models import Letter, Request
from dsr.notify.catcher import MailCatcher
from dsr.settings import Settings
from tests.e2e.web import Client, Mailroom, csrf_of, form_data

# What the start page's call to action says, written out (not read from the catalogs).
MAKE_A_REQUEST = {
    Language.DE: "Antrag stellen",
    Language.EN: "Make a request",
    Language.TR: "Başvuru yap",
    Language.PL: "Złóż żądanie",
    Language.RU: "Подать запрос",
    Language.UK: "Подати запит",
    Language.AR: "تقديم طلب",
}
SIX_DIGITS = re.compile(r"(?<!\d)(\d{6})(?!\d)")


@pytest.fixture
def mailroom(web_settings: Settings, smtp_server: MailCatcher) -> Mailroom:
    return Mailroom(web_settings, smtp_server)


@pytest.mark.parametrize("language", list(Language), ids=str)
async def test_the_switch_renders_the_start_page_in_each_language(
    web_client: Client, language: Language
) -> None:
    page = await web_client.get(f"/?lang={language.value}")
    assert page.status_code == 200
    html = page.text
    direction = "rtl" if language is Language.AR else "ltr"
    assert f'<html lang="{language.value}" dir="{direction}">' in html
    assert MAKE_A_REQUEST[language] in html
    assert page.cookies.get("dsr_lang") == language.value
    # The switch offers every other language in its own name and marks the current one.
    assert f'<span aria-current="true" lang="{language.value}"' in html
    for other in Language:
        if other is not language:
            assert f'href="?lang={other.value}" hreflang="{other.value}"' in html
    # The choice is remembered on the next page.
    form = await web_client.get("/request")
    assert f'<html lang="{language.value}"' in form.text


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("tr-TR,tr;q=0.9,de;q=0.5", Language.TR),
        ("ar-SA", Language.AR),
        ("uk, ru;q=0.8", Language.UK),
    ],
)
async def test_the_browser_language_is_taken(
    web_client: Client, header: str, language: Language
) -> None:
    page = await web_client.get("/", headers={"Accept-Language": header})
    assert f'<html lang="{language.value}"' in page.text
    assert MAKE_A_REQUEST[language] in page.text


async def test_an_error_page_speaks_one_language(web_client: Client) -> None:
    await web_client.get("/?lang=pl")
    missing = await web_client.get("/status/no-such-token")
    assert missing.status_code == 404
    assert '<html lang="pl"' in missing.text and "Nie znaleziono." in missing.text
    assert "Not found." not in missing.text and "Nicht gefunden." not in missing.text


async def test_staff_pages_stay_german_or_english(web_client: Client) -> None:
    turkish = await web_client.get("/login", headers={"Accept-Language": "tr, en;q=0.5"})
    assert '<html lang="en"' in turkish.text and "Sign in" in turkish.text
    arabic = await web_client.get("/login?lang=ar", headers={"Accept-Language": "ar"})
    assert '<html lang="de"' in arabic.text and 'dir="rtl"' not in arabic.text


async def _submit_in(client: Client, language: Language) -> str:
    page = await client.get(f"/request?lang={language.value}")
    data = {"_csrf_token": csrf_of(page.text), **form_data()}
    response = await client.post("/request", data=data, follow_redirects=False)
    assert response.status_code == 303
    return str(response.headers["location"])


@pytest.mark.pdf
async def test_a_turkish_request_gets_turkish_mail_and_an_english_letter_it_is_told_about(
    web_client: Client, mailroom: Mailroom, db: Database
) -> None:
    location = await _submit_in(web_client, Language.TR)
    status = await web_client.get(location)
    assert "Size onay kodu içeren bir e-posta gönderdik." in status.text
    status_path = location.split("?")[0]
    assert (await mailroom.deliver()).sent == 1
    mail = mailroom.last()
    assert mail.subject.endswith("numaralı başvurunuz için onay kodunuz")
    assert "Onay kodunuz:" in mail.text and "Kod 24 saat geçerlidir." in mail.text
    assert '<html lang="tr" dir="ltr">' in mail.html
    code = SIX_DIGITS.search(mail.text.split("Onay kodunuz:")[1])
    assert code is not None

    page = await web_client.get(status_path)
    verified = await web_client.post(
        f"{status_path}/verify",
        data={"_csrf_token": csrf_of(page.text), "code": code.group(1)},
        follow_redirects=False,
    )
    assert verified.status_code == 303
    assert (await mailroom.deliver()).sent == 1
    letter_mail = mailroom.last()
    assert letter_mail.subject.endswith(": mektubumuz")
    assert (
        "Mektubumuz İngilizcedir: mektuplarımızı yalnızca Almanca veya İngilizce yazıyoruz."
        in letter_mail.text
    )
    assert "Alındı onayı" in letter_mail.text  # the letter's title, in Turkish
    (attachment,) = list(letter_mail.message.iter_attachments())
    content = attachment.get_content()
    if soffice() is not None:  # PDF/A where LibreOffice is installed: read it as a person would
        assert attachment.get_filename().endswith("-acknowledgement.pdf")
        text = subprocess.run(  # noqa: ASYNC221 - a test reading a PDF it was sent
            ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
        ).stdout.decode()
        text = " ".join(text.split())
    else:
        assert attachment.get_filename().endswith("-acknowledgement.docx")
        text = "\n".join(p.text for p in docx.Document(io.BytesIO(content)).paragraphs)
    assert "Dear Erika Mustermann," in text
    assert "right of access (Art. 15 GDPR)" in text
    assert "Guten Tag" not in text and "Merhaba" not in text
    async with db.session_scope() as session:
        request = (await session.exec(select(Request))).one()
        letter = (await session.exec(select(Letter))).one()
    assert (request.language, letter.language) == ("tr", "en")


async def test_an_arabic_mail_is_written_right_to_left(
    web_client: Client, mailroom: Mailroom
) -> None:
    await _submit_in(web_client, Language.AR)
    await mailroom.deliver()
    mail = mailroom.last()
    assert '<html lang="ar" dir="rtl">' in mail.html
    assert "رمز التأكيد الخاص بك:" in mail.text
    assert "مرحبًا،" in mail.text


async def test_a_german_request_is_not_told_about_the_letter_language(
    web_client: Client, mailroom: Mailroom
) -> None:
    status_path = (await _submit_in(web_client, Language.DE)).split("?")[0]
    await mailroom.deliver()
    page = await web_client.get(status_path)
    await web_client.post(
        f"{status_path}/verify",
        data={"_csrf_token": csrf_of(page.text), "code": mailroom.code()},
        follow_redirects=False,
    )
    await mailroom.deliver()
    assert "wir verfassen unsere Schreiben" not in mailroom.last().text.lower()
    assert mailroom.last().subject.endswith("unser Schreiben")
