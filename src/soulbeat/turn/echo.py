"""Replies that copy the prompt back (SPEC §9.3: never delivered), found by a pure measure.

Asked in ``tools`` mode, a small local model often does not decide at all: it writes the prompt
back as Markdown — its headings, the heartbeat rules, the task list, the soul — perhaps with
lines of its own. Such prose is no alert, yet nothing in it is JSON or markup. `echo_reason`
recognises it by comparing it with what the beat's prompt said, in two ways (either suffices):

* Words are runs of letters and digits, case folded; the reply and the prompt are cut into
  overlapping word `NGRAM`-grams (4 words: short enough that a copied sentence shares most of its
  grams, long enough that ordinary phrases rarely match by chance).
* The prompt is split in two (`EchoSource`): its **own** words — the rules, the soul, workspace
  files, the prompt line, the due instructions, the time line, the titles of the context blocks,
  other sections' rules — and its **data** — the messages, events, posts and notes it carried,
  and any text the instructions quote for sending as written.
  Quoting data is what a good alert does ("the payments API returns 502 since 09:10"), so only
  the prompt's own words count against a reply.
* **Copied sequences.** A reply is an echo when it has at least `MIN_NGRAMS` grams (about nine
  words; anything shorter is too little to tell, and the markup-only rule already covers empty
  husks), at least `COPIED_SHARE` of its grams occur somewhere in the prompt, and at least
  `OWN_SHARE` of them occur in the prompt's own words and not in its data.
* **Copied lines.** A reply is an echo when at least `COPIED_LINES` of its lines repeat whole
  lines of the prompt's own words (compared as words, any number standing for any other — the
  smallest models copy the time line with other digits in it; lines of one word do not count,
  nor lines the data holds too), or when one of its lines is only the name of a file the
  prompt showed (``HEARTBEAT.md``, ``SOUL.md``: `EchoSource.titles`, and a file named inside a
  title, as in ``Instructions (HEARTBEAT.md)``) — a file name on a line of its own is the
  prompt's frame, never part of an alert. This catches the loose echoes of the smallest
  models: the prompt's headings and a soul line or two around prose of their own.

So an alert that quotes a message whole is delivered (its grams are data), an alert that names a
task or a block in passing is delivered (too few own grams, one copied line), and a reply that is
mostly the rules, the soul, the task list or the file headings copied back is not. The thresholds
were set against the replies SmolLM2-135M wrote in ``tools`` mode over a real llama.cpp server to
the 33 eval scenarios (every one of them delivered as an alert before): 23 of the 33 it wrote to
the full prompt and 16 of the 18 to the compact one are found — what is left is prose of its own
invention, which no comparison with the prompt can tell from an alert — and against the hand-made
alerts of the tests, which quote messages and events and must be delivered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "COPIED_LINES",
    "COPIED_SHARE",
    "MIN_NGRAMS",
    "NGRAM",
    "OWN_SHARE",
    "EchoMeasure",
    "EchoSource",
    "echo_reason",
    "measure_echo",
]

NGRAM = 4
"""Words per compared sequence."""
MIN_NGRAMS = 6
"""A reply with fewer word sequences than this is never called an echo."""
COPIED_SHARE = 0.5
"""The least share of the reply's sequences found anywhere in the prompt for an echo."""
OWN_SHARE = 0.4
"""The least share of the reply's sequences found in the prompt's own words (not its data)."""
COPIED_LINES = 2
"""The least number of the prompt's own lines, repeated whole, that make a reply an echo."""

_WORD = re.compile(r"[^\W_]+")
_FILE_NAME = re.compile(r"[\w.-]+\.md\b", re.IGNORECASE)


@dataclass(frozen=True)
class EchoSource:
    """What a beat's prompt said, split into its ``own`` words and the ``data`` it carried, and
    the ``titles`` of the files it showed."""

    own: str = ""
    data: str = ""
    titles: tuple[str, ...] = ()


@dataclass(frozen=True)
class EchoMeasure:
    """How much of a reply is copied: its number of word sequences, how many occur in the
    prompt at all, and how many only in the prompt's own words; its lines that repeat the
    prompt's own lines, and whether one of its lines is a file title."""

    grams: int
    copied: int
    own: int
    lines: int = 0
    titled: bool = False

    @property
    def copied_share(self) -> float:
        return self.copied / self.grams if self.grams else 0.0

    @property
    def own_share(self) -> float:
        return self.own / self.grams if self.grams else 0.0

    @property
    def copies_sequences(self) -> bool:
        return (
            self.grams >= MIN_NGRAMS
            and self.copied_share >= COPIED_SHARE
            and self.own_share >= OWN_SHARE
        )

    @property
    def copies_lines(self) -> bool:
        return self.titled or self.lines >= COPIED_LINES

    @property
    def is_echo(self) -> bool:
        return self.copies_sequences or self.copies_lines


def measure_echo(reply: str, source: EchoSource) -> EchoMeasure:
    """Count the reply's word sequences found in `source` (module docstring)."""
    reply_lines = [words for words in map(_words, reply.splitlines()) if words]
    named = [name for title in source.titles for name in _FILE_NAME.findall(title)]
    titles = {tuple(_words(title)) for title in (*source.titles, *named)}
    titled = any(tuple(words) in titles for words in reply_lines)
    own_lines = {_line(w) for w in map(_words, source.own.splitlines()) if len(w) > 1}
    data_lines = {_line(w) for w in map(_words, source.data.splitlines())}
    lines = sum(1 for w in reply_lines if _line(w) in own_lines and _line(w) not in data_lines)
    grams = _grams(_words(reply))
    own, data = set(_grams(_words(source.own))), set(_grams(_words(source.data)))
    copied = sum(1 for gram in grams if gram in own or gram in data)
    only_own = sum(1 for gram in grams if gram in own and gram not in data)
    return EchoMeasure(len(grams), copied, only_own, lines, titled)


def echo_reason(reply: str, source: EchoSource | None) -> str | None:
    """Why `reply` is the prompt copied back (a reason for the audit), or None when it is not
    (or when there is no prompt to compare with)."""
    if source is None:
        return None
    measure = measure_echo(reply, source)
    if measure.copies_sequences:
        return (
            f"the reply echoes the prompt: {measure.copied_share:.0%} of its word sequences are "
            f"in the prompt, {measure.own_share:.0%} in its own instructions"
        )
    if measure.titled:
        return "the reply echoes the prompt: a line of it is only the name of a prompt file"
    if measure.copies_lines:
        return f"the reply echoes the prompt: {measure.lines} of its lines repeat the prompt's"
    return None


def _words(text: str) -> list[str]:
    return [word.casefold() for word in _WORD.findall(text)]


def _line(words: list[str]) -> tuple[str, ...]:
    """A line's words for comparing lines: a word with a digit in it stands for any such."""
    return tuple("#" if any(c.isdigit() for c in word) else word for word in words)


def _grams(words: list[str]) -> list[tuple[str, ...]]:
    return [tuple(words[i : i + NGRAM]) for i in range(len(words) - NGRAM + 1)]
