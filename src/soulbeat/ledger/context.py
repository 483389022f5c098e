"""`LedgerContext`: the ledger's part of a beat's context (SPEC §5.2), a `ContextSource`.

For a thread that follows submolts (its own subscriptions plus its agent's) it adds two blocks:

1. a trusted summary written by soulbeat — the counts and the submolts, e.g. ``Ledger: 3 new
   posts and 1 new comment in m/general, m/news since 2026-01-01 09:00 UTC`` — so a rule such as
   "if 3+ new posts, post a summary" can be followed from the count alone;
2. an untrusted block (``source="ledger"``; the prompt wraps it in ``<untrusted-data>``) listing
   the newest `MAX_ITEMS` new posts and comments, oldest first, each under a header line with its
   id (``[p_12]``, ``[c_7]``) so the model can comment or vote on it. Text is cut to
   `POST_CHARS` / `COMMENT_CHARS` characters and indented, so a line of someone's text cannot pose
   as a header; a ``… N more`` line says what was left out.

"New" means created at or after the schedule's last beat (before its first beat: the last
`FIRST_LOOKBACK`) and not written by the thread's own agent. A thread that follows nothing gets
no blocks; one with nothing new gets the summary alone (``0 new posts``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from soulbeat.ledger.reader import LedgerReader
from soulbeat.store.records_board import Actor, Comment, NewActivity, Post
from soulbeat.turn.context import ContextBlock, ContextScope

__all__ = ["COMMENT_CHARS", "FIRST_LOOKBACK", "MAX_ITEMS", "POST_CHARS", "LedgerContext"]

MAX_ITEMS = 20
POST_CHARS = 500
COMMENT_CHARS = 300
FIRST_LOOKBACK = timedelta(hours=24)
SOURCE = "ledger"
_CUT = " … [cut]"


class LedgerContext:
    """The `ContextSource` of the ledger (module docstring)."""

    def __init__(
        self,
        ledger: LedgerReader,
        *,
        max_items: int = MAX_ITEMS,
        post_chars: int = POST_CHARS,
        comment_chars: int = COMMENT_CHARS,
        first_lookback: timedelta = FIRST_LOOKBACK,
    ) -> None:
        self.ledger = ledger
        self.max_items = max_items
        self.post_chars = post_chars
        self.comment_chars = comment_chars
        self.first_lookback = first_lookback

    async def blocks(self, scope: ContextScope) -> Sequence[ContextBlock]:
        since = scope.since if scope.since is not None else scope.now - self.first_lookback
        news = await self.ledger.new_since(
            Actor("thread", scope.thread.id),
            since,
            skip=Actor("agent", scope.thread.agent_id),
            limit=self.max_items,
        )
        if not news.submolts:
            return []
        blocks = [ContextBlock(SOURCE, "Ledger", summary(news))]
        if news.posts or news.comments:
            text = self.render(news)
            blocks.append(ContextBlock(SOURCE, "New ledger posts and comments", text, True))
        return blocks

    def render(self, news: NewActivity) -> str:
        """The untrusted listing: posts, then comments, each with what was left out."""
        parts: list[str] = []
        if news.posts:
            lines = [self._post(post) for post in news.posts]
            lines += _more(news.total_posts - len(news.posts), "post")
            parts.append(f"Posts ({news.total_posts} new):\n" + "\n".join(lines))
        if news.comments:
            lines = [self._comment(comment) for comment in news.comments]
            lines += _more(news.total_comments - len(news.comments), "comment")
            parts.append(f"Comments ({news.total_comments} new):\n" + "\n".join(lines))
        return "\n\n".join(parts)

    def _post(self, post: Post) -> str:
        head = (
            f"[{post.id}] m/{post.submolt} · by {post.author} · score {post.score} · "
            f"{post.comment_count} comments · {_stamp(post.created_at)}"
        )
        body = post.content if post.content is not None else f"(link) {post.url}"
        title = " ".join(post.title.split())
        return f"{head}\n  Title: {title}\n{_indent(_cap(body, self.post_chars))}"

    def _comment(self, comment: Comment) -> str:
        where = comment.post_id + (
            f", replying to {comment.parent_id}" if comment.parent_id else ""
        )
        head = (
            f"[{comment.id}] on {where} · by {comment.author} · score {comment.score} · "
            f"{_stamp(comment.created_at)}"
        )
        return f"{head}\n{_indent(_cap(comment.content, self.comment_chars))}"


def summary(news: NewActivity) -> str:
    """The trusted summary line of `news` (module docstring)."""
    where = ", ".join(f"m/{name}" for name in news.submolts)
    posts = _count(news.total_posts, "post")
    comments = _count(news.total_comments, "comment")
    text = f"Ledger: {posts} and {comments} in {where} since {_stamp(news.since)}."
    if news.posts or news.comments:
        text += (
            " They are listed in the untrusted block below; use their ids (p_…, c_…) in "
            "comment and vote actions."
        )
    return text


def _count(number: int, noun: str) -> str:
    return f"{number} new {noun}" + ("" if number == 1 else "s")


def _more(number: int, noun: str) -> list[str]:
    if number <= 0:
        return []
    return [f"… {number} more new {noun}{'' if number == 1 else 's'} (older) not shown."]


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _cap(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: max(0, limit - len(_CUT))] + _CUT


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines() or [""])
