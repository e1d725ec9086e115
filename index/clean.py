"""Whitespace normalisation and boilerplate removal for raw page captures.

A capture often wraps the article body in site chrome: navigation, cookie banners, share
buttons, and teaser lists of unrelated stories ("Opinion", "Updated 23 Nov, 2024", headline,
one-line summary, ...). `BoilerplateCleaner` classifies every line, lets borderline lines take
the class of their neighbours (as jusText does), then keeps the contiguous span with the best
balance of prose over boilerplate (a maximum-sum subarray). Only leading and trailing regions
can be cut, so a short line inside the body (a one-line quote, a sub-heading) never splits it.

Also the text-level helpers of ingestion: `decode_text` (bytes -> str, refusing binary),
`split_plain_title`, `split_markdown` (front matter, heading, Markdown reduced to text) and
`html_to_text` (feed entry HTML).

Usage:
    cleaner = BoilerplateCleaner()
    text = cleaner.clean(raw_capture)   # cleaned once; every citation offset points into it
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from newsqa.errors import IngestError

# Line kinds. NEAR: short prose, decided by its neighbours; NEUTRAL: no evidence either way
# (headings, list items, data lines, bylines); BAD: strong evidence of site chrome;
# MARKER: the start of a teaser section ("Related stories", "Most read").
GOOD, NEAR, NEUTRAL, BAD, MARKER = "good", "near", "neutral", "bad", "marker"


def _split(words: str, sep: str | None = None) -> list[str]:
    return [w.strip() for w in words.split(sep)]


# Weight of each kind in the span search: prose pulls the span out, boilerplate pushes it in.
_WEIGHTS = {GOOD: 1.0, NEAR: 1.0, NEUTRAL: 0.0, BAD: -1.0, MARKER: -2.0}

_NAV_LINES = frozenset(
    _split(
        "home|opinion|opinions|editorial|editorials|news|world|politics|business|sports|sport|entertainment|"
        "lifestyle|technology|tech|health|science|travel|culture|video|videos|photos|podcasts|podcast|menu|"
        "search|login|log in|sign in|sign up|register|subscribe|subscribe now|newsletter|newsletters|share|"
        "share this|share this article|share this story|tweet|facebook|twitter|email|print|whatsapp|linkedin|"
        "reddit|pinterest|comments|comment|more|watch|listen|advertisement|sponsored|sponsored content|"
        "skip to content|skip to main content|back to top|privacy policy|terms of use|terms of service|"
        "terms and conditions|cookie policy|contact us|about us|careers|sitemap|accept|accept all|close|next|"
        "previous|load more|show more|see more|follow us|topics|tags|copy link|latest|open menu",
        "|",
    )
)
_NAV_WORDS = frozenset(w for w in _NAV_LINES if " " not in w)
_MARKER_LINES = frozenset(
    _split(
        "related|related articles|related stories|related content|related news|recommended|"
        "recommended for you|you may also like|you might also like|more stories|more news|more from|"
        "most read|most popular|most viewed|popular|trending|trending now|read more|read next|latest news|"
        "top stories|editors picks|editor's picks|also read|more on this story|in case you missed it",
        "|",
    )
)
_PREFIX_JUNK = re.compile(
    r"^(follow us|click here|sign up for|subscribe to|copyright|all rights reserved|©|\(c\) \d{4})\b",
    re.IGNORECASE,
)
# Lines dropped wherever they are: ad slot labels carry no text of the story.
_ALWAYS_DROP = re.compile(
    r"^(advertisement|advert|ad|sponsored|story continues below( this)? advertisement|"
    r"skip advertisement|continue reading the main story)\W*$",
    re.IGNORECASE,
)
_COOKIE = re.compile(r"\bcookies?\b.*\b(accept|consent|agree|use|policy|settings|preferences)\b", re.I)
_RIGHTS = re.compile(r"all rights reserved|^©|^copyright\b", re.IGNORECASE)
_MONTHS = _split(
    "jan feb mar apr may jun jul aug sep sept oct nov dec january february march april june july "
    "august september october november december"
)
_DATE_TOKENS = frozenset(
    _MONTHS
    + _split(
        "mon tue tues wed thu thur thurs fri sat sun monday tuesday wednesday thursday friday saturday "
        "sunday am pm a.m p.m et est edt gmt utc bst cet pt pst pdt ct cst cdt ist pkt updated published "
        "posted last modified on at by ago minutes minute hours hour days day mins hrs"
    )
)
# "April 21" or "June 2013" can head a listicle section; a stamp has day, month and year,
# a numeric date, "ago" or "Updated".
_DATE_ANCHOR = re.compile(
    r"\bago\b|\b(updated|published|posted)\b|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|"
    r"(?=.*\b(" + "|".join(_MONTHS) + r")\b)(?=.*\b(19|20)\d\d\b).*\b\d{1,2}(st|nd|rd|th)?\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_TOKEN = re.compile(r"[\w.:/-]+")
_INNER_STOP = re.compile(r"[a-z\d][.!?][\"'”’)]*(\s|$)")
_SENTENCE_END = re.compile(r"[.!?:;,][\"'”’)\]]*$")


@dataclass
class Block:
    """One non-empty line of the normalised text: `text == normalised[start:end]`."""

    start: int
    end: int
    text: str
    kind: str = NEUTRAL


def normalize_whitespace(text: str) -> str:
    """Unify line endings, strip trailing spaces, collapse 3+ newlines; nothing inside a line changes."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _stopwords() -> frozenset[str]:
    try:
        import justext

        return frozenset(w.lower() for w in justext.get_stoplist("English"))
    except Exception:  # jusText ships with trafilatura; a tiny list keeps this working without it
        return frozenset(
            _split(
                "a an and are as at be by for from has have he in is it its of on that the to was "
                "were will with said this they not but or who"
            )
        )


class BoilerplateCleaner:
    """Cuts leading/trailing boilerplate from a page capture and normalises whitespace.

    `min_stopword_density` is the share of function words a line of prose has at least;
    `long_chars` is the length from which such a line is prose on its own, without context.
    """

    def __init__(self, min_stopword_density: float = 0.2, long_chars: int = 200) -> None:
        if not 0 <= min_stopword_density < 1:
            raise ValueError("min_stopword_density must be in [0, 1)")
        if long_chars < 1:
            raise ValueError("long_chars must be positive")
        self.min_stopword_density = min_stopword_density
        self.long_chars = long_chars
        self._stop = _stopwords()

    def clean(self, text: str) -> str:
        """The article body without surrounding boilerplate; unchanged (but normalised) when unsure."""
        norm = normalize_whitespace(text)
        blocks = self.classify(norm)
        if not any(b.kind == GOOD for b in blocks):
            return norm
        first, last = self._best_span(blocks)
        kept = [b for b in blocks[first : last + 1] if not _ALWAYS_DROP.match(b.text.strip())]
        if not kept:
            return norm
        # Keep the original separators between kept lines, so paragraphs stay as they were.
        pieces = [kept[0].text]
        for prev, cur in zip(kept, kept[1:], strict=False):
            gap = norm[prev.end : cur.start]
            pieces += ["\n\n" if gap.strip() else gap, cur.text]
        return "".join(pieces).strip()

    def classify(self, norm: str) -> list[Block]:
        """Blocks (non-empty lines) of normalised text with their kind, after context smoothing."""
        blocks: list[Block] = []
        pos = 0
        for line in norm.split("\n"):
            if line.strip():
                blocks.append(Block(pos, pos + len(line), line))
            pos += len(line) + 1
        for b in blocks:
            b.kind = self._line_kind(b.text)
        for i, b in enumerate(blocks):
            # A lone "BUSINESS" heads a section of a roundup; menus come as runs of such lines.
            near = [blocks[j].kind for j in (i - 1, i + 1) if 0 <= j < len(blocks)]
            if b.kind == BAD and _key(b.text) in _NAV_WORDS and BAD not in near and MARKER not in near:
                b.kind = NEUTRAL
        self._smooth(blocks)
        return blocks

    def _line_kind(self, line: str) -> str:
        s = line.strip()
        key = _key(s)
        words = _WORD.findall(s.lower())
        n = len(words)
        if key in _MARKER_LINES:
            return MARKER
        if key in _NAV_LINES or _ALWAYS_DROP.match(s) or _is_date_stamp(s) or _is_nav_row(s):
            return BAD
        if _COOKIE.search(s) and n <= 80 or _RIGHTS.search(s) and n <= 40:
            return BAD
        if _PREFIX_JUNK.match(s) and n <= 20 and not _SENTENCE_END.search(s):
            return BAD
        density = sum(w in self._stop for w in words) / n if n else 0.0
        if density >= self.min_stopword_density and n >= 4:
            # Teaser blurbs are one sentence; two full sentences are prose even when short.
            if len(s) >= self.long_chars or len(s) >= 120 and len(_INNER_STOP.findall(s)) >= 2:
                return GOOD
            if _SENTENCE_END.search(s) or len(s) >= 100:
                return NEAR
        return NEUTRAL

    @staticmethod
    def _smooth(blocks: list[Block]) -> None:
        """Borderline prose is boilerplate when boilerplate (or the text's edge) is on both sides."""
        decisive = [i for i, b in enumerate(blocks) if b.kind not in (NEAR, NEUTRAL)]
        resolved = {}
        for i, b in enumerate(blocks):
            if b.kind != NEAR:
                continue
            prev = next((blocks[j].kind for j in reversed(decisive) if j < i), None)
            nxt = next((blocks[j].kind for j in decisive if j > i), None)
            sides = [k in (BAD, MARKER, None) for k in (prev, nxt)]
            resolved[i] = BAD if all(sides) and (prev or nxt) else GOOD
        for i, kind in resolved.items():
            blocks[i].kind = kind

    @staticmethod
    def _best_span(blocks: list[Block]) -> tuple[int, int]:
        """Maximum-sum span of block weights (ties: the longer one), widened over neutral lines.

        A region outside the span is cut only when boilerplate lines outnumber prose lines in it.
        """
        best, best_span = float("-inf"), (0, len(blocks) - 1)
        run, run_start = 0.0, 0
        for i, b in enumerate(blocks):
            if run < 0:
                run, run_start = 0.0, i
            run += _WEIGHTS[b.kind]
            if run >= best:
                best, best_span = run, (run_start, i)
        first, last = best_span
        while first > 0 and blocks[first - 1].kind not in (BAD, MARKER):
            first -= 1
        while last + 1 < len(blocks) and blocks[last + 1].kind not in (BAD, MARKER):
            last += 1
        if not _mostly_boilerplate(blocks[:first]):
            first = 0
        if not _mostly_boilerplate(blocks[last + 1 :]):
            last = len(blocks) - 1
        return first, last


def _mostly_boilerplate(blocks: list[Block]) -> bool:
    bad = sum(b.kind in (BAD, MARKER) for b in blocks)
    return bad > sum(b.kind == GOOD for b in blocks)


def _key(line: str) -> str:
    return " ".join(_WORD.findall(line.lower().replace("’", "'")))


def _is_date_stamp(line: str) -> bool:
    if len(line) > 60 or not _DATE_ANCHOR.search(line):
        return False
    tokens = [t.strip(".:,/-|") for t in _TOKEN.findall(line.lower())]
    return all(not t or t in _DATE_TOKENS or re.fullmatch(r"[\d:/.,-]+(am|pm)?", t) for t in tokens)


def _is_nav_row(line: str) -> bool:
    """A row of menu items: "Home | World | Business", or only nav words ("Share Tweet Email")."""
    parts = [p.strip() for p in re.split(r"\s*[|•·»]\s*", line) if p.strip()]
    if len(parts) >= 3 and not re.search(r"\d", line) and all(len(p.split()) <= 3 for p in parts):
        return all(p[0].isupper() or _key(p) in _NAV_LINES for p in parts)
    words = _key(line).split()
    return 2 <= len(words) <= 8 and all(w in _NAV_WORDS for w in words)


_BINARY_MAGIC = (b"\x89PNG", b"%PDF", b"PK\x03\x04", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b", b"\x7fELF")


def looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if head.startswith(_BINARY_MAGIC) or b"\x00" in head:
        return True
    controls = sum(b < 32 and b not in (9, 10, 12, 13) for b in head)
    return bool(head) and controls / len(head) > 0.05


def decode_text(data: bytes) -> str:
    """UTF-8 (BOMs honoured), else Windows-1252/Latin-1; IngestError for binary data."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if looks_binary(data):
        raise IngestError("binary content, not text")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def split_plain_title(text: str) -> tuple[str | None, str]:
    """A short first line followed by a blank line is the title of a plain-text article."""
    head, sep, rest = normalize_whitespace(text).partition("\n\n")
    words = head.split()
    if (
        sep
        and rest.strip()
        and "\n" not in head
        and 2 <= len(words) <= 20
        and not head.rstrip().endswith((".", "!", "?", ","))
    ):
        return head.strip(), rest
    return None, text


def split_markdown(text: str) -> tuple[str | None, str, dict[str, str]]:
    """Front matter fields, a leading "# Title", and the body with Markdown syntax reduced to text."""
    meta: dict[str, str] = {}
    text = normalize_whitespace(text)
    if match := re.match(r"^---\n(.*?)\n---\n", text, re.S):
        for line in match.group(1).splitlines():
            key, _, value = line.partition(":")
            if value.strip():
                meta[key.strip().lower()] = value.strip().strip("\"'")
        text = text[match.end() :]
    title = meta.get("title")
    if heading := re.match(r"^\s*#\s+(.+)\n", text):
        title = title or heading.group(1).strip()
        text = text[heading.end() :]
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text = re.sub(r"^```.*$", "", text, flags=re.M)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"^#{1,6}\s+", "", text, flags=re.M)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", text)
    text = re.sub(r"`([^`]+)`", r"\1", text)
    return title, text, meta


def html_to_text(fragment: str) -> str:
    text = re.sub(r"(?i)<br\s*/?>|</(p|div|li|h\d|blockquote)>", "\n", fragment)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return normalize_whitespace(text)
