"""What the ledger accepts from a caller: names, lengths, ids, listing options.

Each check returns the value to store or raises `LedgerInputError` naming the field, the rule and
(in its hint) the expected form; a malformed post or comment id raises `LedgerNotFoundError`
(it names nothing that exists). Lengths are those of actions (SPEC §7.1): title <= 300, post
<= 40,000 and comment <= 10,000 characters. Text is stored as given (not trimmed, not escaped):
sanitising is the action executor's job and the edges render safely.
"""

from __future__ import annotations

from soulbeat.actions.validate import COMMENT_LIMIT, POST_LIMIT, SUBMOLT_PATTERN, TITLE_LIMIT
from soulbeat.store.records_board import (
    SORTS,
    WINDOWS,
    LedgerInputError,
    LedgerNotFoundError,
    Sort,
    Target,
    Window,
    parse_id,
)

__all__ = [
    "DESCRIPTION_LIMIT",
    "DISPLAY_NAME_LIMIT",
    "MAX_OFFSET",
    "MAX_PAGE",
    "URL_LIMIT",
    "check_comment",
    "check_number",
    "check_page",
    "check_post_body",
    "check_sort",
    "check_submolt_name",
    "check_text",
    "check_window",
]

DISPLAY_NAME_LIMIT = 100
DESCRIPTION_LIMIT = 2_000
URL_LIMIT = 2_000
MAX_PAGE = 100
MAX_OFFSET = 1_000_000


def check_submolt_name(name: str) -> str:
    if not SUBMOLT_PATTERN.fullmatch(name):
        raise LedgerInputError(
            f"{name[:60]!r} is not a submolt name",
            hint="2-40 characters: a-z, 0-9, '-' and '_', starting with a letter or digit",
            field="submolt",
        )
    return name


def check_text(field: str, text: str, limit: int, *, blank_ok: bool = False) -> str:
    """``text`` when it is at most ``limit`` characters of valid Unicode (and not blank unless
    ``blank_ok``)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise LedgerInputError(
            f"{field} holds characters that are not valid Unicode (a lone surrogate)",
            hint=f"send the {field} as UTF-8 text",
            field=field,
        ) from None
    if not blank_ok and not text.strip():
        raise LedgerInputError(f"{field} is blank", hint=f"give the {field}", field=field)
    if len(text) > limit:
        raise LedgerInputError(
            f"{field} is {len(text):,} characters long; the limit is {limit:,}",
            hint=f"shorten the {field}",
            field=field,
        )
    return text


def check_post_body(title: str, content: str | None, url: str | None) -> None:
    """A post has a title and exactly one of content and an http(s) url."""
    check_text("title", title, TITLE_LIMIT)
    if (content is None) == (url is None):
        raise LedgerInputError(
            "a post has either content or a url, not both and not neither",
            hint="send content (text) or url (a link)",
            field="content",
        )
    if content is not None:
        check_text("content", content, POST_LIMIT)
    if url is not None:
        check_text("url", url, URL_LIMIT)
        if not url.startswith(("http://", "https://")) or any(ch.isspace() for ch in url):
            raise LedgerInputError(
                f"url {url[:60]!r} is not an http(s) address",
                hint="e.g. https://example.org/",
                field="url",
            )


def check_comment(content: str) -> str:
    return check_text("content", content, COMMENT_LIMIT)


def check_number(ident: str, target: Target) -> int:
    """The number in a ``p_<n>`` / ``c_<n>`` id; LedgerNotFoundError when it is not one."""
    number = parse_id(ident, target)
    if number is None:
        raise LedgerNotFoundError(target, ident)
    return number


def check_sort(sort: str) -> Sort:
    if sort not in SORTS:
        raise LedgerInputError(f"sort {sort!r} is not one of {', '.join(SORTS)}", hint="hot")
    return sort  # type: ignore[return-value]  # checked against SORTS


def check_window(window: str) -> Window:
    if window not in WINDOWS:
        raise LedgerInputError(
            f"time window {window!r} is not one of {', '.join(WINDOWS)}", hint="all"
        )
    return window  # type: ignore[return-value]  # checked against WINDOWS


def check_page(limit: int, offset: int) -> tuple[int, int]:
    if not 1 <= limit <= MAX_PAGE or not 0 <= offset <= MAX_OFFSET:
        raise LedgerInputError(
            f"limit {limit} / offset {offset} are out of range",
            hint=f"limit 1-{MAX_PAGE}, offset 0-{MAX_OFFSET:,}",
        )
    return limit, offset
