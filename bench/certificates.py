"""Certificates per second: `render_certificate` against a plain ReportLab + qrcode baseline.

    .venv/bin/python bench/certificates.py [--count 200] [--warmup 20] [--rounds 4]

The baseline is what one would write first: `qrcode.make(url)` (PIL image, qrcode's own mask
search), `drawImage` of it and of the mark image, and `drawString` of the same text in the same
embedded font (registered once). Both render the same sequence of distinct certificates (each
its own number, token and URL), so no per-URL cache helps either side.

Each measurement runs in its own fresh process, so neither side inherits the other's fonts,
caches or ReportLab settings, and the three take turns (--rounds, --count split among them). The baseline runs with ReportLab's defaults, and once more with
binary streams (`rl_config.useA85 = 0`, which `render_certificate` sets) to show how much of the
gap that one setting explains.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE_URL = "HTTPS://MARK.EXAMPLE.ORG"


def make_certificates(count: int) -> list:
    from PIL import Image, ImageDraw

    from certificates.layout import CertificateData
    from certificates.tokens import Claims, generate_key, sign_token, verify_url

    kid, key = generate_key()
    mark = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    draw = ImageDraw.Draw(mark)
    draw.ellipse((20, 20, 380, 380), fill=(170, 20, 20, 255))
    draw.rectangle((150, 110, 250, 290), fill=(255, 255, 255, 255))
    png = io.BytesIO()
    mark.save(png, format="PNG")
    firms = ("中山市小榄镇金盾锁业有限公司", "中山市东凤镇永固五金制品厂", "中山市南头镇安居锁具有限公司")
    out = []
    for i in range(count):
        number = f"ZSSJ-2026-{i:06d}"
        uscc = "91442000MA4UL3XK1X"
        issued, expires = date(2026, 1, 5), date(2029, 1, 4)
        token = sign_token(Claims(1, kid, number, uscc, issued, expires), key)
        out.append(
            CertificateData(
                certificate_no=number,
                mark_name="中山锁具",
                mark_image=png.getvalue(),
                firm_name=firms[i % len(firms)],
                uscc=uscc,
                address=f"广东省中山市小榄镇工业大道{100 + i % 50}号",
                scope=("ZS-A100 弹子插芯门锁", "ZS-B200 叶片执手锁", f"ZS-C{300 + i % 7}"),
                standard_code="Q/ZSSJ 001",
                standard_version="2012",
                issued_on=issued,
                expires_on=expires,
                alliance_name="中山市锁具行业联盟",
                verify_url=verify_url(BASE_URL, token),
            )
        )
    return out


def baseline_certificate(data) -> bytes:
    """The plain way: qrcode.make, drawImage, drawString in the same font."""
    import qrcode
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen.canvas import Canvas

    if "BaselineCJK" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(
            TTFont("BaselineCJK", str(ROOT / "static/fonts/wqy-microhei.ttc"), subfontIndex=0)
        )
    qr_image = qrcode.make(data.verify_url, error_correction=qrcode.constants.ERROR_CORRECT_Q)
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    width, height = A4
    c.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    c.setFont("BaselineCJK", 30)
    c.drawCentredString(width / 2, height - 40 * mm, "商标使用授权证书")
    c.setFont("BaselineCJK", 11)
    c.drawCentredString(width / 2, height - 48 * mm, f"证书编号：{data.certificate_no}")
    c.drawImage(ImageReader(io.BytesIO(data.mark_image)), (width - 32 * mm) / 2, height - 88 * mm,
                32 * mm, 32 * mm, preserveAspectRatio=True, mask="auto")
    c.setFont("BaselineCJK", 18)
    c.drawCentredString(width / 2, height - 98 * mm, f"「{data.mark_name}」")
    y = height - 110 * mm
    c.setFont("BaselineCJK", 12)
    for label, value in (
        ("被许可企业", data.firm_name),
        ("统一社会信用代码", data.uscc),
        ("企业地址", data.address),
        ("许可使用范围", "、".join(data.scope)),
        ("依据标准", f"{data.standard_code}—{data.standard_version}"),
        ("发证日期", f"{data.issued_on.year}年{data.issued_on.month}月{data.issued_on.day}日"),
        ("有效期至", f"{data.expires_on.year}年{data.expires_on.month}月{data.expires_on.day}日"),
        ("发证单位", data.alliance_name),
    ):
        c.drawString(30 * mm, y, f"{label}：")
        c.drawString(70 * mm, y, value)
        y -= 22
    c.setFont("BaselineCJK", 11)
    c.drawString(30 * mm, y - 10, f"经审核，上述企业的上述产品符合 {data.standard_code}—{data.standard_version} 的要求，")
    c.drawString(30 * mm, y - 26, f"准予在许可范围内的产品上使用「{data.mark_name}」标志。本证书的有效状态以扫码核验结果为准。")
    c.drawImage(ImageReader(qr_image.get_image()), (width - 46 * mm) / 2, 44 * mm, 46 * mm, 46 * mm)
    c.drawCentredString(width / 2, 39 * mm, "扫码核验授权状态")
    c.setFont("Courier", 6.5)
    c.drawCentredString(width / 2, 34 * mm, data.verify_url[:100])
    c.drawCentredString(width / 2, 34 * mm - 8, data.verify_url[100:])
    c.setFont("BaselineCJK", 11)
    c.drawRightString(width - 30 * mm, 24 * mm, f"{data.alliance_name}（盖章）")
    c.showPage()
    c.save()
    return buf.getvalue()


def _measure(which: str, count: int, warmup: int) -> tuple[float, int]:
    sys.path.insert(0, str(ROOT))
    certificates = make_certificates(warmup + count)
    if which == "ours":
        from certificates.layout import render_certificate as render
    else:
        render = baseline_certificate
        if which == "baseline-binary":
            from reportlab import rl_config

            rl_config.useA85 = 0
    for data in certificates[:warmup]:
        render(data)
    size = 0
    start = time.perf_counter()
    for data in certificates[warmup:]:
        size += len(render(data))
    return time.perf_counter() - start, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=4, help="turns the three take, --count split among them")
    args = parser.parse_args()
    rounds = max(1, min(args.rounds, args.count))
    per_round = args.count // rounds
    ctx = multiprocessing.get_context("spawn")
    names = ["baseline", "ours", "baseline-binary"]
    totals = {which: [0.0, 0, 0] for which in names}  # seconds, bytes, certificates
    # The three take turns in a rotating order, each turn in a fresh process, so a slow minute
    # of the machine falls on all of them alike rather than on whichever ran then.
    with ctx.Pool(1, maxtasksperchild=1) as pool:
        for r in range(rounds):
            for which in names[r % 3:] + names[:r % 3]:
                elapsed, size = pool.apply(_measure, (which, per_round, args.warmup))
                totals[which][0] += elapsed
                totals[which][1] += size
                totals[which][2] += per_round
    results = {which: (n / elapsed, size // n) for which, (elapsed, size, n) in totals.items()}
    for which, (rate, size) in results.items():
        print(f"{which:16s} {rate:7.1f} certificates/s   {size / 1024:6.1f} KiB each")
    print(f"ratio ours/baseline:        {results['ours'][0] / results['baseline'][0]:.2f}x")
    print(f"ratio ours/baseline-binary: {results['ours'][0] / results['baseline-binary'][0]:.2f}x")


if __name__ == "__main__":
    main()
