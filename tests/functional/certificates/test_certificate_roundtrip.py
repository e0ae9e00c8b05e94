"""Certificate PDF → page image → QR decoded by zxing-cpp → that URL fetched → valid (issue 5)."""
from __future__ import annotations

import io
import os
import stat

import pypdfium2 as pdfium
import pytest
import zxingcpp
from pypdf import PdfReader

from tests.builders import bearer, make_certified_licence, make_user, login, staff_user
from certificates import services as certs
from certificates.tokens import is_qr_alphanumeric


def decode_qr(pdf: bytes):
    page = pdfium.PdfDocument(pdf)[0]
    image = page.render(scale=3).to_pil()
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(results) == 1
    return results[0]


@pytest.fixture
def certified(app):
    return make_certified_licence(1)


def test_the_printed_qr_leads_to_the_valid_page(app, client, certified):
    licence, certificate = certified
    staff_user("staff1")
    response = client.get(f"/api/v1/licences/{licence.id}/certificate.pdf", headers=bearer("staff1"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    qr = decode_qr(response.data)
    url = qr.text
    assert url == f"HTTP://LOCALHOST/V/{certificate.token}"
    assert is_qr_alphanumeric(url)
    assert qr.ec_level == "Q"
    html = client.get(url.removeprefix("HTTP://LOCALHOST")).get_data(as_text=True)
    assert "<b>有效</b>" in html and licence.firm.name in html


def test_the_pdf_text_is_chinese_extractable_with_the_font_embedded(app, client, certified):
    licence, certificate = certified
    staff_user("staff1")
    login(client, "staff1")
    response = client.get(f"/licences/{licence.id}/certificate.pdf")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    text = reader.pages[0].extract_text()
    for fact in ("商标使用授权证书", licence.firm.name, licence.firm.uscc, certificate.serial, "扫码核验授权状态",
                 "Q/ZSSJ 001", "L-100", "中山市锁具产业联盟"):
        assert fact in text, fact
    fonts = [f.get_object() for f in reader.pages[0]["/Resources"]["/Font"].values()]
    # ReportLab embeds TrueType subsets of the Chinese font: each carries its glyphs in /FontFile2.
    embedded = [f for f in fonts if "/FontDescriptor" in f and "/FontFile2" in f["/FontDescriptor"].get_object()]
    assert embedded and all(len(f["/FontDescriptor"].get_object()["/FontFile2"].get_object().get_data()) > 1000
                            for f in embedded)


def test_a_firm_prints_its_own_certificate_only_and_another_firms_is_not_found(app, certified):
    licence, _certificate = certified
    other, _ = make_certified_licence(2)
    make_user("firm-user", "firm", firm_uscc=licence.firm.uscc)
    client = app.test_client()
    assert client.get(f"/api/v1/licences/{licence.id}/certificate.pdf", headers=bearer("firm-user")).status_code == 200
    refused = client.get(f"/api/v1/licences/{other.id}/certificate.pdf", headers=bearer("firm-user"))
    # SPEC §10: another firm's licence is answered as if it did not exist.
    assert refused.status_code == 404 and refused.is_json


def test_the_first_certificate_creates_a_private_key_outside_the_database(app, certified):
    _licence, certificate = certified
    pem = os.path.join(app.config["KEYS_DIR"], f"{certificate.kid}.pem")
    assert stat.S_IMODE(os.stat(pem).st_mode) == 0o600
    assert [k.kid for k in certs.key_store().list()] == [certificate.kid]


def test_staff_re_issue_from_the_licence_and_the_old_one_points_to_the_new(app, client, certified):
    licence, old = certified
    staff_user("staff1")
    login(client, "staff1")
    page = client.get(f"/licences/{licence.id}/certificates").get_data(as_text=True)
    assert old.serial in page and "换发新证书" in page
    # Without the reason and the tick nothing happens: the printed QR codes stay valid.
    for data in ({}, {"reason": "原证书遗失"}, {"confirm": "y"}):
        client.post(f"/licences/{licence.id}/certificate/reissue", data=data)
        assert certs.current_certificate(licence).id == old.id
    response = client.post(f"/licences/{licence.id}/certificate/reissue", data={"reason": "原证书遗失", "confirm": "y"})
    assert response.status_code == 302
    new = certs.current_certificate(licence)
    assert new.reason == "原证书遗失"
    assert "原证书遗失" in client.get(f"/licences/{licence.id}/certificates").get_data(as_text=True)
    assert new.id != old.id and old.superseded_by_id == new.id
    qr = decode_qr(client.get(f"/licences/{licence.id}/certificate.pdf").data)
    assert qr.text.endswith(new.token)
