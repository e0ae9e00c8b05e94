"""One page of a list: one COUNT and one LIMIT/OFFSET query, with whitelisted sort keys."""
from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any

from sqlalchemy import func, select

from infra.db import db

PER_PAGE = 50
MAX_PER_PAGE = 200


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int
    sort: str = ""

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        return 0 if not self.items else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items)

    def to_dict(self) -> dict:
        return {"total": self.total, "page": self.page, "per_page": self.per_page, "pages": self.pages}


@dataclass(frozen=True)
class ListArgs:
    """What a list request asks for: a search text, a sort key, a page (bounded, never trusted)."""

    q: str = ""
    sort: str = ""
    page: int = 1
    per_page: int = PER_PAGE

    @classmethod
    def from_request(cls, args, default_sort: str = "") -> "ListArgs":
        def number(name, default, high):
            raw = str(args.get(name) or "").strip()
            value = int(raw) if raw.isdigit() and len(raw) < 10 else default
            return max(1, min(value, high))

        return cls(q=str(args.get("q") or "").strip()[:100], sort=str(args.get("sort") or default_sort)[:32],
                   page=number("page", 1, 10 ** 7), per_page=number("per_page", PER_PAGE, MAX_PER_PAGE))


def paginate(query, args: ListArgs, sorts: dict[str, Any], default: str, *, unique: bool = False) -> Page:
    """Run `query` for one page: COUNT over the filtered rows, then the page ordered by a whitelisted key.

    `sorts` maps a sort key ("-applied" for descending) to a tuple of ORDER BY columns; an unknown
    key falls back to `default`, so a request can never order by an arbitrary column.
    """
    key = args.sort if args.sort in sorts else default
    total = db.session.execute(select(func.count()).select_from(
        query.order_by(None).options().subquery())).scalar_one()
    ordered = query.order_by(*sorts[key]).limit(args.per_page).offset((args.page - 1) * args.per_page)
    result = db.session.execute(ordered)
    if unique:
        result = result.unique()
    return Page(list(result.scalars()), total, args.page, args.per_page, key)
