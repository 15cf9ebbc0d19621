"""Spam heuristics for inbound SMS, WhatsApp, Instagram and web chat messages (email has SES's verdicts).

A false positive hides a real customer in the Spam view, so no single ambiguous signal reaches the
threshold on its own: shoppers talk about parcels on hold, event prizes, payments and links all day.
A message is spam when independent signals add up (scam phrasing + a link to act on + a blast marker),
and a message written in a customer's own voice, or asking whether a text it quotes is a scam, is
pulled back below the line.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from helpdesk import spam_phrases as phrases

THRESHOLD = 1.0
# A long message is judged on its opening (the hook) and its end (the link, the opt-out line): the
# checks are linear, and this keeps a pasted 50 KB message as cheap as an SMS.
_HEAD = 1500
_TAIL = 500
CHANNELS = frozenset({"sms", "whatsapp", "instagram", "webchat"})


@dataclass(frozen=True)
class Verdict:
    """spam: goes to the Spam view; score: the signals' weights summed (spam from THRESHOLD up);
    reasons: the signals that fired, mitigating ones (customer_voice, asks_about_scam) included."""

    spam: bool
    score: float
    reasons: tuple[str, ...]


NOT_SPAM = Verdict(spam=False, score=0.0, reasons=())


# --- compiling phrase lists ----------------------------------------------------------------------

class _PhraseBook:
    """Named lists of phrase patterns, compiled into a handful of regexes for Python's regex engine.

    sre skips a position only when its character cannot start the pattern, and tries the top-level
    alternatives one after another; a pattern per phrase list, with a leading \\b on each phrase, was
    seven times slower than this and most of a check's time. Compiled together instead:
    - phrases with a leading \\b are matched at word starts only, in one pattern that starts with the
      blank or punctuation before the word (the text begins with a blank, see _normalise);
    - a leading (?:a|b)rest is multiplied out into arest|brest, so that phrases start with literals;
    - phrases share their leading literals as a trie ("you've won|your account" is "you(?:'ve won|r
      account)"), Hangul-first ones apart from the rest so that neither slows the other's positions;
    - an empty named group closes each phrase and names its list; what cannot start with a literal is
      compiled on its own.
    Each regex is searched again from one character after each match, so overlapping phrases are all
    found; where a match starts, the other lists with a phrase starting with the same character are
    tried too (their own patterns, compiled when first needed), since the trie reports only one.
    """

    def __init__(self, named: dict[str, tuple[str, ...]]) -> None:
        kinds: dict[str, dict[str, list[tuple[list[str], str]]]] = {"word": {}, "hangul": {}, "literal": {}}
        other: list[tuple[str, str]] = []
        for name, patterns in named.items():
            for alt in (a for p in patterns for top in _top_level(p) for a in _distributed(top)):
                if alt.startswith("\\b"):
                    kinds["word"].setdefault(name, []).append(_leading_atoms(alt[2:]))
                    continue
                atoms, tail = _leading_atoms(alt)
                if not atoms or atoms[0].startswith("("):
                    other.append((name, alt))
                else:
                    kind = "hangul" if "가" <= atoms[0][0] <= "힣" else "literal"
                    kinds[kind].setdefault(name, []).append((atoms, tail))
        self._names: dict[str, str] = {}
        self._parts = [
            _BookPart(_BEFORE_WORD if kind == "word" else "", by_name, self._names)
            for kind, by_name in kinds.items() if by_name
        ]
        self._parts += [_BookPart("", {name: [([], alt)]}, self._names) for name, alt in other]

    def find(self, text: str) -> dict[str, set[str]]:
        """Each list with a phrase in `text` (which starts with a non-word character), with the
        distinct texts it matched."""
        found: dict[str, set[str]] = {}
        ends: dict[str, int] = {}  # where each list's last phrase ended: one inside it is not another

        def add(name: str, match: re.Match[str], skip: int) -> None:
            if match.start() + skip >= ends.get(name, 0):
                found.setdefault(name, set()).add(match.group()[skip:])
                ends[name] = match.end()

        for part in self._parts:
            ends.clear()  # each part searches the text from its start again
            match = part.regex.search(text)
            while match:
                name = self._names[match.lastgroup or ""]
                add(name, match, part.skip)
                for other in part.starting_with(text[match.start() + part.skip]) - {name}:
                    also = part.single(other).match(text, match.start())
                    if also:
                        add(other, also, part.skip)
                match = part.regex.search(text, match.start() + 1)
        return found

    def present(self, text: str) -> set[str]:
        """The lists with a phrase in `text`, when how many does not matter: after the first match of
        a part (the leftmost of all its lists), each list still missing is searched for on its own."""
        present: set[str] = set()
        for part in self._parts:
            match = part.regex.search(text)
            if match:
                present.add(self._names[match.lastgroup or ""])
                present.update(name for name in part.names - present
                               if part.single(name).search(text, match.start()))
        return present

    def search(self, text: str) -> bool:
        return any(part.regex.search(text) for part in self._parts)


class _BookPart:
    """One compiled regex of a phrase book: phrases of several lists behind the same `before`."""

    def __init__(self, before: str, by_name: dict[str, list[tuple[list[str], str]]], names: dict[str, str]) -> None:
        self.skip = 1 if before else 0
        self._before = before
        self._by_name = by_name
        self.names = frozenset(by_name)
        marked: list[tuple[list[str], str]] = []
        self._first: dict[str, set[str]] = {}
        self._anywhere: set[str] = set()  # lists with a phrase that starts with no literal character
        for name, alternatives in by_name.items():
            for atoms, tail in alternatives:
                marker = f"p{len(names)}"
                names[marker] = name
                marked.append((atoms, f"{tail}(?P<{marker}>)"))
                if atoms and not atoms[0].startswith("("):
                    self._first.setdefault(atoms[0][-1], set()).add(name)
                else:
                    self._anywhere.add(name)
        tree = _prefix_tree(marked)
        self.regex = re.compile(f"{before}(?:{tree})" if before else tree)
        if self.regex.groups != len(self.regex.groupindex):  # the markers must be the only groups
            raise ValueError(f"capturing group in a phrase: {tree[:80]}")
        self._single: dict[str, re.Pattern[str]] = {}

    def starting_with(self, char: str) -> set[str]:
        return self._first.get(char, set()) | self._anywhere

    def single(self, name: str) -> re.Pattern[str]:
        if name not in self._single:
            tree = _prefix_tree(self._by_name[name])
            self._single[name] = re.compile(f"{self._before}(?:{tree})" if self._before else tree)
        return self._single[name]


# What \\b stands after before a word: a blank, ASCII punctuation, Latin-1 and general punctuation,
# arrows, symbols, CJK punctuation and emoji (NFKC has folded the full-width forms to ASCII).
_BEFORE_WORD = "[ \\n!-/:-@\\[-^`{-~\u00a1-\u00bf\u2000-\u2bff\u3000-\u303f\U0001f000-\U0001faff]"


def _top_level(pattern: str) -> list[str]:
    """`pattern` split at the `|` that are outside groups and character classes."""
    parts, depth, in_class, start, i = [], 0, False, 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    return [*parts, pattern[start:]]


# This and _LOOKAROUND read phrase patterns, which happens only while _regexes() builds the phrase
# books; re's own cache of compiled patterns keeps them compiled until then.
_LEADING_GROUP = r"\(\?:((?:[^()\[\]\\]|\\.)*)\)(\?)?"


def _distributed(alt: str) -> list[str]:
    """`alt` with a leading group of plain alternatives (optional or not) multiplied out."""
    boundary = "\\b" if alt.startswith("\\b") else ""
    body = alt[len(boundary):]
    group = re.match(_LEADING_GROUP, body)
    if not group:
        return [alt]
    options = group.group(1).split("|") + ([""] if group.group(2) else [])
    rest = body[group.end():]
    return [x for option in options for x in _distributed(boundary + option + rest)]


_LOOKAROUND = r"\(\?<?[=!](?:[^()\\]|\\.)*\)"


def _leading_atoms(alt: str) -> tuple[list[str], str]:
    """The literal characters and lookarounds `alt` starts with (none repeated by a quantifier), and
    the rest of it."""
    lookaround_at = re.compile(_LOOKAROUND).match
    atoms: list[str] = []
    i = 0
    while i < len(alt):
        lookaround = lookaround_at(alt, i)
        if lookaround:
            atom = lookaround.group()
        elif alt[i] == "\\" and i + 1 < len(alt) and not alt[i + 1].isalnum():
            atom = alt[i:i + 2]
        elif alt[i] in "\\()[].^$|?*+{":
            break
        else:
            atom = alt[i]
        if alt[i + len(atom):i + len(atom) + 1] in ("?", "*", "+", "{"):
            break
        atoms.append(atom)
        i += len(atom)
    return atoms, alt[i:]


def _prefix_tree(alternatives: list[tuple[list[str], str]]) -> str:
    """One pattern for all `alternatives` (leading atoms, rest), sharing leading atoms as a trie."""
    branches: dict[str, list[tuple[list[str], str]]] = {}
    ends: list[str] = []
    for atoms, tail in alternatives:
        if atoms:
            branches.setdefault(atoms[0], []).append((atoms[1:], tail))
        else:
            ends.append(tail)
    pieces = list(dict.fromkeys(ends))
    for first, rests in branches.items():
        below = _prefix_tree(rests)
        pieces.append(first + (f"(?:{below})" if len(_top_level(below)) > 1 else below))
    return "|".join(pieces)


# --- normalisation -------------------------------------------------------------------------------

# Zero-width characters, soft hyphens and emoji variation selectors are invisible to the reader and
# only ever there to split a phrase for a filter (or to make "❤️❤️" alternate code points).
_INVISIBLE = "[\u200b\u200c\u200d\u2060\ufeff\ufe0f\u00ad\u180e]"
# "bit[.]ly", "han(.)gg", "t . ly": dots written so that a link is not clickable but still typeable.
_DOT_OBFUSCATION = r"(?<=[a-z0-9])\s*(?:\[\s*(?:\.|dot)\s*\]|\(\s*(?:\.|dot)\s*\)|\s\.\s)\s*(?=[a-z0-9])"
# Hangul syllables standing alone before separators ("당 첨", "카.지.노", "바*카*라", "당 첨되셨습니다"):
# joined to what follows. A word of two syllables or more is never split off from, so "해당 첨부"
# does not become "해당첨부".
_SPACED_HANGUL = r"[가-힣](?<![가-힣][가-힣])(?:[^\w\n]{1,3}[가-힣](?![가-힣]))*[^\w\n]{1,3}[가-힣]"
_SEPARATORS = r"[^\w\n]+"
_WHITESPACE = r"[^\S\n]{2,}|[^\S \n]"  # single spaces are left alone: replacing them is work


def _normalise(nfkc: str) -> str:
    """Lower case, invisible characters dropped, spaced Hangul syllables joined and runs of blanks
    collapsed, on text already NFKC-normalised; newlines are kept for the line checks. Starts with a
    space."""
    rx = _regexes()
    t = rx.invisible.sub("", nfkc).lower()
    if "[" in t or "(" in t or " . " in t:  # the only ways in; most messages skip this pass
        t = rx.dot_obfuscation.sub(".", t)
    t = rx.spaced_hangul.sub(lambda m: rx.separators.sub("", m.group()), t)
    # NFKC has made every other blank (no-break, ideographic, en spaces) a plain space already.
    if "  " in t or "\t" in t or "\r" in t:
        t = rx.whitespace.sub(" ", t)
    return " " + t  # so that a phrase at the very start is at a word start too (see _PhraseBook)


# --- links ---------------------------------------------------------------------------------------

# The TLDs of bare domains as a trie: a dot tries one branch per letter, not sixty TLDs.
_BARE_TLDS = _prefix_tree([(list(tld), "") for tld in phrases.BARE_TLDS])
# Links with a scheme or www. first; bare domains ("bit.ly/x", "han.gg/x") then in what is left. Two
# passes because a bare-domain pattern must look at every letter, and most text has no scheme at all.
_SCHEMED_URL = r"https?://[^\s<>\"']*|hxxps?://[^\s<>\"']*|www\.[^\s<>\"']+"
_BARE_URL = (
    rf"[a-z0-9](?<![\w@./:-][a-z0-9])(?:[a-z0-9-]{{0,61}}[a-z0-9])?\.(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)*"
    rf"(?:{_BARE_TLDS})(?![\w-])(?:[/?#][^\s<>\"']*)?"
)
_DOT_TLD = rf"\.(?:{_BARE_TLDS})(?![\w-])"  # cheap test before looking for bare domains
_HOST = r"^(?:[a-z]+://)?(?:[^@/\s]*@)?([^/?#:\s]*)"
_LINKS_EXAMINED = 50  # a link flood is 6; reading 600 more hosts would only cost time
_IP_HOST = r"^\d{1,3}(?:\.\d{1,3}){3}$"
# A host with a label of a brand phishing pretends to be (only asked of hosts that are not the brand's).
_IMPERSONATED = rf"(?:^|[.-])(?:{'|'.join(phrases.IMPERSONATED_BRANDS)})(?:[.-]|$)"


def _host(url: str) -> str:
    match = _regexes().host.match(url)
    host = match.group(1) if match else ""
    return host.removeprefix("www.").rstrip(".")


def _under(host: str, hosts: frozenset[str]) -> bool:
    """Whether `host` is one of `hosts` or a subdomain of one."""
    labels = host.split(".")
    return any(".".join(labels[i:]) in hosts for i in range(len(labels) - 1))


def _is_related(host: str) -> bool:
    """Under a known host, whether or not that host vouches for it."""
    return _under(host, phrases.KNOWN_HOSTS)


def _is_known(host: str) -> bool:
    return _is_related(host) and not _under(host, phrases.UNKNOWN_SUBHOSTS)


@dataclass(frozen=True)
class _Links:
    count: int
    hosts: frozenset[str]
    unknown_hosts: frozenset[str]
    shorteners: int
    ip: bool
    suspicious_tld: bool
    lookalike: bool


def _links(text: str) -> tuple[_Links, str]:
    """The links in `text`, and `text` with each link blanked out."""
    rx = _regexes()
    urls = [m.group() for m in rx.schemed_url.finditer(text)]
    rest = rx.schemed_url.sub(" ", text) if urls else text
    bare = [m.group() for m in rx.bare_url.finditer(rest)] if rx.dot_tld.search(rest) else []
    if bare:
        rest = rx.bare_url.sub(" ", rest)
    hosts = [_host(url) for url in (urls + bare)[:_LINKS_EXAMINED]]
    named = [h for h in hosts if h]
    unknown = frozenset(h for h in set(named) if not _is_known(h))
    found = _Links(
        count=len(urls) + len(bare),
        hosts=frozenset(named),
        unknown_hosts=unknown,
        shorteners=sum(1 for h in named if h in phrases.SHORTENERS),
        ip=any(rx.ip_host.match(h) for h in named),
        suspicious_tld=any(h.rsplit(".", 1)[-1] in phrases.SUSPICIOUS_TLDS for h in unknown),
        lookalike=any(rx.impersonated.search(h) for h in unknown
                      if h not in phrases.SHORTENERS and not _is_related(h)),
    )
    return found, rest


# --- phrasing ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Phrasing:
    """Phrases of one kind of scam, English and Korean, matched on normalised text. A second different
    phrase of the same kind adds `again`: two scam sentences are stronger than one."""

    reason: str
    weight: float
    patterns: tuple[str, ...]
    again: float = 0.3
    also: tuple[str, ...] = ()  # a second half that must be present too


_PHRASINGS = tuple(_Phrasing(reason, **spec) for reason, spec in phrases.PHRASINGS.items())
# Who is talking, by list (the unit tests hold the compiled voice book to the plain patterns).
_CUSTOMER_VOICE = phrases.CUSTOMER_VOICE
_ASKS_ABOUT_SCAM = phrases.ASKS_ABOUT_SCAM

_NOT_DIGIT = r"\D+"
_CHAR_RUN = r"(.)\1{29,}"
_WORD = r"\w+"
_ALL_BUT_UPPER = bytes(c for c in range(256) if not 65 <= c <= 90)
_ALL_BUT_LETTERS = bytes(c for c in range(256) if not (65 <= c <= 90 or 97 <= c <= 122))


# --- compiling, on the first check ---------------------------------------------------------------

class _Regexes:
    """Every regex and phrase book of the checks, compiled. Compiling them costs about 100 ms of CPU,
    which would otherwise land on the cold start of every webhook importing this module; _regexes()
    pays it on the first check instead, once per process."""

    def __init__(self) -> None:
        self.invisible = re.compile(_INVISIBLE)
        self.dot_obfuscation = re.compile(_DOT_OBFUSCATION)
        self.spaced_hangul = re.compile(_SPACED_HANGUL)
        self.separators = re.compile(_SEPARATORS)
        self.whitespace = re.compile(_WHITESPACE)
        self.schemed_url = re.compile(_SCHEMED_URL)
        self.bare_url = re.compile(_BARE_URL)
        self.dot_tld = re.compile(_DOT_TLD)
        self.host = re.compile(_HOST)
        self.ip_host = re.compile(_IP_HOST)
        self.impersonated = re.compile(_IMPERSONATED)
        self.carrier_stamp = re.compile(phrases.CARRIER_STAMP)
        self.salutation_opening = re.compile(phrases.SALUTATION_OPENING)
        self.arrow_to_link = re.compile(phrases.ARROW_TO_LINK)
        self.not_digit = re.compile(_NOT_DIGIT)
        self.char_run = re.compile(_CHAR_RUN, re.DOTALL)
        self.word = re.compile(_WORD)
        self.letter_money = re.compile(phrases.MONEY_WORDS, re.IGNORECASE)
        # Scam phrases in one book; who is talking in another, so that no scam phrase can hide a mitigation.
        self.scam_book = _PhraseBook({
            **{phrasing.reason: phrasing.patterns for phrasing in _PHRASINGS},
            **{phrasing.reason + "+": phrasing.also for phrasing in _PHRASINGS if phrasing.also},
        })
        self.voice_book = _PhraseBook({
            "salutation": phrases.SALUTATION, "customer_voice": _CUSTOMER_VOICE, "asks_about_scam": _ASKS_ABOUT_SCAM,
        })
        self.phone_book = _PhraseBook({"phone": phrases.PHONE})
        self.off_platform_book = _PhraseBook({"off_platform": phrases.OFF_PLATFORM})


@functools.cache
def _regexes() -> _Regexes:
    # Two threads racing through the first check may each compile a set; both sets are complete and
    # equal, and the cache keeps one. A Lambda runs one check at a time anyway.
    return _Regexes()


_BOOKS = {"_SCAM_BOOK": "scam_book", "_VOICE_BOOK": "voice_book", "_PHONE_BOOK": "phone_book",
          "_OFF_PLATFORM_BOOK": "off_platform_book"}


def __getattr__(name: str) -> _PhraseBook:
    """The phrase books as module attributes (spam._SCAM_BOOK, ...), compiled on first use like the rest."""
    if name in _BOOKS:
        return getattr(_regexes(), _BOOKS[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- signals -------------------------------------------------------------------------------------

def _link_signals(links: _Links, text_without_links: str, media_count: int) -> list[tuple[str, float]]:
    found: list[tuple[str, float]] = []
    if len(links.unknown_hosts) >= 5:
        found.append(("link_flood", 1.0))
    elif links.count >= 6 or (links.count >= 4 and len(links.hosts) >= 3):
        found.append(("link_flood", 0.6))
    if links.shorteners:
        found.append(("url_shortener", 0.5 if links.shorteners == 1 else 0.7))
    if links.ip:
        found.append(("ip_url", 0.6))
    if links.suspicious_tld:
        found.append(("suspicious_tld", 0.4))
    if links.lookalike:
        found.append(("lookalike_domain", 0.5))
    if links.unknown_hosts and sum(len(w) for w in _regexes().word.findall(text_without_links)) < 12:
        # A picture whose caption is nothing but a foreign link is the usual social-media promo.
        found.append(("mostly_link", 0.5 if media_count else 0.3))
    return found


def _repetition_signals(raw: str, words: list[str]) -> list[tuple[str, float]]:
    found: list[tuple[str, float]] = []
    lines = Counter(line.strip() for line in raw.splitlines() if len(line.strip()) >= 15)
    repeated_line = max(lines.values(), default=0)
    if repeated_line >= 3:
        found.append(("repeated_lines", 1.0 if repeated_line >= 5 else 0.5))
    else:
        # The same ad pasted several times on one line. A unit of one word repeated ("환불해주세요" x5)
        # is a customer shouting, not a blast, so the repeated 4-word window must hold 3 distinct words;
        # those each occur 3 times, which most messages fail before any window is counted.
        repeated_phrase = 0
        if sum(1 for n in Counter(words).values() if n >= 3) >= 3:
            grams = Counter(zip(words, words[1:], words[2:], words[3:], strict=False))
            repeated_phrase = max((n for gram, n in grams.items() if n >= 3 and len(set(gram)) >= 3), default=0)
        if repeated_phrase >= 3:
            found.append(("repeated_phrase", 0.8 if repeated_phrase >= 8 else 0.4))
    longest_run = max((len(m.group()) for m in _regexes().char_run.finditer(raw)), default=0)
    if longest_run >= 300:
        found.append(("char_run", 1.0))
    elif longest_run >= 30:
        found.append(("char_run", 0.3))
    return found


def _shouting_about_money(nfkc: str) -> bool:
    ascii_text = nfkc.encode("ascii", "ignore")
    upper = len(ascii_text.translate(None, _ALL_BUT_UPPER))
    if upper < 14:  # 70% of the 20 letters a shout needs
        return False
    return (upper >= 0.7 * len(ascii_text.translate(None, _ALL_BUT_LETTERS))
            and _regexes().letter_money.search(nfkc) is not None)


def _phrasing_signals(text: str, channel: str) -> list[tuple[str, float]]:
    found: list[tuple[str, float]] = []
    rx = _regexes()
    matched = rx.scam_book.find(text)
    for phrasing in _PHRASINGS:
        hits = matched.get(phrasing.reason)
        if hits and (not phrasing.also or phrasing.reason + "+" in matched):
            found.append((phrasing.reason, phrasing.weight + (phrasing.again if len(hits) >= 2 else 0.0)))
    if rx.carrier_stamp.search(text):
        found.append(("carrier_stamp", 0.4 if channel == "sms" else 0.2))
    return found


def _sender_signals(nfkc: str, norm: str, text: str, links: _Links, scam_phrasing: bool) -> list[tuple[str, float]]:
    """How the message addresses its reader and where it sends them (`text` is without its links)."""
    found: list[tuple[str, float]] = []
    rx = _regexes()
    phones = {rx.not_digit.sub("", number)[-8:] for number in rx.phone_book.find(text).get("phone", ())}
    if len(phones) >= 3:
        found.append(("phone_flood", 0.8 if len(phones) >= 5 else 0.4))
    if _shouting_about_money(nfkc):
        found.append(("caps_money", 0.5))
    voice = rx.voice_book.present(text)
    if "salutation" in voice or rx.salutation_opening.match(norm, 1):
        found.append(("salutation", 0.3))
    if rx.arrow_to_link.search(norm):
        found.append(("arrow_to_link", 0.3))
    # Scam phrasing is only dangerous with somewhere to act on it: a link we do not know, a number, a chat.
    if scam_phrasing and (links.unknown_hosts or phones or rx.off_platform_book.search(text)):
        found.append(("call_to_action", 0.3))
    if "asks_about_scam" in voice:
        # Whatever the quoted text scores, the person asking about it is a customer who needs an answer.
        found.append(("asks_about_scam", -3.0))
    if "customer_voice" in voice:
        found.append(("customer_voice", -0.3))
    return found


def check(text: str, *, channel: str, media_count: int = 0) -> Verdict:
    """Whether an inbound message on `channel` (sms, whatsapp, instagram, webchat) is spam, with its
    score and the signals that fired. Email is refused: SES gives its own verdicts."""
    if channel not in CHANNELS:
        raise ValueError(f"no spam heuristics for channel {channel!r}; email uses SES verdicts")
    if media_count < 0:
        raise ValueError("media_count cannot be negative")
    if not text or text.isspace():
        return NOT_SPAM  # a photo or sticker alone is how customers show a damaged item
    if len(text) > _HEAD + _TAIL:
        text = f"{text[:_HEAD]}\n{text[-_TAIL:]}"

    nfkc = unicodedata.normalize("NFKC", text)
    norm = _normalise(nfkc)
    links, without_links = _links(norm)
    signals = _phrasing_signals(without_links, channel)
    signals += _sender_signals(nfkc, norm, without_links, links, scam_phrasing=bool(signals))
    signals += _link_signals(links, without_links, media_count)
    signals += _repetition_signals(norm, without_links.split())

    score = round(sum(weight for _, weight in signals), 2)
    reasons = tuple(dict.fromkeys(reason for reason, _ in signals))
    return Verdict(spam=score >= THRESHOLD, score=score, reasons=reasons)
