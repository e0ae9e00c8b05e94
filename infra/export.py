"""Lists as files: the same rows a page shows, as CSV (UTF-8 with BOM, for Excel) or XLSX."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response

FORMATS = ("csv", "xlsx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(value) -> str:
    text = "" if value is None else str(value)
    # A cell starting with = + - @ would run as a formula in Excel: keep it text (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def table_response(name: str, fmt: str, header: Sequence[str], rows: Iterable[Sequence]) -> Response:
    """Answer `rows` under `header` as `name`.csv or `name`.xlsx."""
    header = [str(h) for h in header]
    body = [[_cell(v) for v in row] for row in rows]
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(name[:31])
        sheet.append(header)
        for row in body:
            sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        data, mimetype = out.getvalue(), XLSX
    else:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(body)
        data, mimetype = ("\ufeff" + text.getvalue()).encode("utf-8"), "text/csv; charset=utf-8"
    return Response(data, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename={name}.{fmt}"})
