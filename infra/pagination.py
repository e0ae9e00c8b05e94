"""One page of a list: one bounded COUNT and one LIMIT/OFFSET query, with whitelisted sort keys.

A page counts its rows exactly up to COUNT_LIMIT and beyond that says "more than COUNT_LIMIT"
(what GitLab's limited counts and Django admin's `show_full_result_count = False` do for large
tables): counting stops at the limit, so the page costs the same at 100 000 rows as at 10 000,
while the rows themselves are still all reachable, page by page. `?count=all` asks for the exact
number (one COUNT over the whole scope), and the JSON API always counts exactly.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any, NamedTuple

from sqlalchemy import func, literal, select

from infra.db import db

PER_PAGE = 50
MAX_PER_PAGE = 200
COUNT_LIMIT = 10_000


@dataclass
class Page:
    items: list
    total: int  # the rows counted; a floor when `more` (there are more than COUNT_LIMIT)
    page: int
    per_page: int
    sort: str = ""
    more: bool = False
    next_exists: bool | None = None  # known from the rows read (one beyond the page); else from `total`

    @property
    def pages(self) -> int | None:
        """The number of pages, or None when the total is only a floor."""
        return None if self.more else max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        if self.next_exists is not None:
            return self.next_exists
        return self.more or self.page < (self.pages or 0)

    @property
    def first_index(self) -> int:
        return 0 if not self.items else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items)

    def to_dict(self) -> dict:
        return {"total": self.total, "page": self.page, "per_page": self.per_page, "pages": self.pages,
                **({"total_exact": False} if self.more else {})}


@dataclass(frozen=True)
class ListArgs:
    """What a list request asks for: a search text, a sort key, a page (bounded, never trusted)."""

    q: str = ""
    sort: str = ""
    page: int = 1
    per_page: int = PER_PAGE
    count_limit: int | None = COUNT_LIMIT  # None: count every row

    @classmethod
    def from_request(cls, args, default_sort: str = "", *, exact: bool = False) -> "ListArgs":
        def number(name, default, high):
            raw = str(args.get(name) or "").strip()
            value = int(raw) if raw.isdigit() and len(raw) < 10 else default
            return max(1, min(value, high))

        return cls(q=str(args.get("q") or "").strip()[:100], sort=str(args.get("sort") or default_sort)[:32],
                   page=number("page", 1, 10 ** 7), per_page=number("per_page", PER_PAGE, MAX_PER_PAGE),
                   count_limit=None if exact or args.get("count") == "all" else COUNT_LIMIT)


class Count(NamedTuple):
    """A number of rows, exact unless `more` (then there are more than `n`)."""

    n: int
    more: bool = False

    def __str__(self) -> str:
        return f"{self.n}+" if self.more else str(self.n)


def count(query, limit: int | None = COUNT_LIMIT) -> Count:
    """Count the rows of `query`, stopping after `limit` of them."""
    if query._distinct or query._group_by_clauses:
        rows = query.order_by(None)  # the rows as the query makes them
    else:  # one column of the same FROM and WHERE, so an index can answer it alone
        rows = query.order_by(None).with_only_columns(literal(1), maintain_column_froms=True)
    if limit is not None:
        rows = rows.limit(limit + 1)
    n = db.session.execute(select(func.count()).select_from(rows.subquery())).scalar_one()
    return Count(limit, True) if limit is not None and n > limit else Count(n)


def paginate(query, args: ListArgs, sorts: dict[str, Any], default: str, *, unique: bool = False) -> Page:
    """Run `query` for one page: a bounded COUNT, then the page ordered by a whitelisted key.

    `sorts` maps a sort key ("-applied" for descending) to a tuple of ORDER BY columns; an unknown
    key falls back to `default`, so a request can never order by an arbitrary column. The page reads
    one row beyond itself, so whether a next page exists is known even when the total is a floor.
    """
    key = args.sort if args.sort in sorts else default
    total, more = count(query, args.count_limit)
    ordered = query.order_by(*sorts[key]).limit(args.per_page + 1).offset((args.page - 1) * args.per_page)
    result = db.session.execute(ordered)
    if unique:
        result = result.unique()
    items = list(result.scalars())
    return Page(items[:args.per_page], total, args.page, args.per_page, key, more, len(items) > args.per_page)
