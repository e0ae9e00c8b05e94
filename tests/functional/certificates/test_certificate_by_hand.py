"""A person without a phone checks a printed certificate by typing what the page says (issue 15)."""
from __future__ import annotations

import io
import re
from datetime import date
from urllib.parse import quote

import pytest
from pypdf import PdfReader

from certificates import services as certs
from tests.builders import make_certified_licence


@pytest.fixture
def printed(app):
    licence, certificate = make_certified_licence(1, date.today())
    text = PdfReader(io.BytesIO(certs.certificate_pdf(certificate))).pages[0].extract_text()
    return certificate, text.splitlines()


def test_the_grouped_url_typed_with_its_spaces_shows_the_certificate_valid(client, printed):
    certificate, lines = printed
    start = next(i for i, line in enumerate(lines) if line.startswith("HTTP://LOCALHOST/V/"))
    typed = " ".join(lines[start:start + 3])  # what a person copies from the paper, spaces and all
    assert typed.replace(" ", "") == certs.verify_url_for(certificate.token)

    # The browser sends the spaces as %20; the page reads the token without them.
    response = client.get(quote(typed[len("HTTP://LOCALHOST"):]))
    assert response.status_code == 200
    assert re.search(r'role="status">.*?<b>有效</b>', response.get_data(as_text=True), re.S)


def test_the_certificate_number_the_hint_names_finds_the_licence_in_the_registry(client, printed):
    certificate, lines = printed
    hint = next(line for line in lines if "输入证书编号" in line)
    assert f"访问 localhost/registry 输入证书编号 {certificate.serial} 核验" in hint

    html = client.get("/registry", query_string={"q": certificate.serial}).get_data(as_text=True)
    assert certificate.serial in html and certificate.licence.firm.name in html
