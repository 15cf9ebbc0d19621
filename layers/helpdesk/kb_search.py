"""Ranking a brand's knowledge-base articles against what a shopper wrote (pure: no I/O, standard
library only). `helpdesk.kb` feeds it an account's articles and keeps the built `Index` per container.

Terms. Text is NFKC-normalised and case-folded, then cut into runs of Hangul syllables, of Latin
letters and of digits (so "24시간", "24h" and "24 hours" all share "24").
- English: words, light-stemmed (plural, -ed, -ing, a final e, a doubled final consonant: "cancelled",
  "cancels" and "cancel" meet, as do "change", "changed" and "changing"), a few domain spellings
  folded ("cancellation" -> cancel, "colour" -> color, "hrs" -> hour), stop words dropped.
- Korean writes particles and endings onto the word and spaces compounds as it likes ("주문취소",
  "주문 취소", "취소하고 싶어요"), so each Hangul run gives its syllable bigrams (주문, 문취, 취소) and
  its syllables (주, 문, 취, 소) as terms. Bigrams carry the meaning; syllables, at a low query weight,
  rescue a typo ("취쇼") or a one-syllable word, and the syllables that are only particles or endings
  (을, 는, 요, ...) are left out.

Ranking is BM25F (k1 1.2): a term's frequency in the title (weight 3, b 0.5), tags (2, b 0) and body
(1, b 0.75), each normalised by that field's length against the corpus' average, then saturated once.
IDF counts at least `MIN_DOCUMENTS` documents, so a brand with three articles still tells a rare term
from none. The query is weighted and widened before it is scored:
- the shopper's policy words (those of a small bilingual lexicon: cancel, 반품, refund, ...) count 1.5,
  other words 1, Hangul syllables 0.25, Korean endings and politeness ("싶어", "세요", "품하" of
  반품하려면) 0.2: a message says what it asks in a few words and the rest is talk;
- the lexicon adds a policy word's relatives at 0.5 (change ~ edit ~ 변경 ~ 수정); a policy word the
  corpus lacks is replaced by its relatives the corpus has, in full, so "order 취소" finds an English
  cancellation policy and "cancel 부탁드려요" a Korean one;
- typos: a word the corpus lacks matches corpus words one edit away (insert, delete, replace or swap
  two letters: "cancle", "adress", "refnd"; short words only to the lexicon's), and a Hangul bigram
  one jamo away from a lexicon word ("취쇼" -> 취소), at 0.8 of its weight.

Relevance. A hit's `score` is its BM25F score over its query's ceiling: what a document would score
holding each of the shopper's terms (or what stands in for it) in a title of only that term. Words
the corpus lacks stay in the ceiling, so a question about something else scores low however common
its other words are. 1.0 is a perfect match; `MIN_RELEVANCE` (calibrated on
tests/unit/test_kb_search.py, where every shopper question answers above 0.31 and every unrelated one
stays below 0.18) is where "relevant" starts. `Hit.passage` is the paragraph (or a few sentences of a
long one) of the body that best matches, in the brand's own words, for quoting. `policy` finds the
article about one of the order skill's topics (see TOPICS).

Cost, measured on this machine (a shared 2-core box, CPython 3.11) with 500 articles of ~2,000
characters, half Korean (tests/unit/test_kb_search.py::test_search_over_500_articles_is_fast prints
them): building the index 0.7-1.6 s (once per container and change of the knowledge base), a search
1.2-2.5 ms, a policy lookup 4-8 ms the first time (then kept with the index).
"""
from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

K1 = 1.2
FIELDS = (("title", 3.0, 0.5), ("tags", 2.0, 0.0), ("body", 1.0, 0.75))  # name, weight, b
MIN_DOCUMENTS = 20
MIN_RELEVANCE = 0.24
# Query weights: a content term of the shopper's text counts 1, a policy word of the lexicon (cancel,
# 반품, ...) more, since it says what they ask while product words (jeans, 원피스) only say about what.
INTENT_WEIGHT = 1.5
SYLLABLE_WEIGHT = 0.25  # a Hangul syllable
CHATTER_WEIGHT = 0.2  # a Korean ending or politeness bigram (세요, 싶어, 어떻)
EXPANSION_WEIGHT = 0.5  # a lexicon relative of a policy word the corpus has too
LOCALE_PREFERENCE = 1.1  # an article in the shopper's language, against one about as good
FUZZY_WEIGHT = 0.8  # of the weight of a word the corpus lacks, for a corpus word one edit from it
PASSAGE_CHARS = 360  # a long paragraph is cut into sentences grouped up to about this

_RUNS = re.compile(r"[가-힣]+|[a-z]+|[0-9]+")
_PARAGRAPHS = re.compile(r"\n\s*\n|\n(?=\s*(?:[-*•·]|\d+[.)])\s)")
_SENTENCES = re.compile(r"(?<=[.!?。])\s+")

_STOP_WORDS = frozenset("""
a about above after again all also am an and any are as at be because been before being below between both
but by can cannot could did do does doing don done down during each either else etc ever every for from
further get got had has have having he her here hers him his how i if im in into is it its itself ive just
let lets like ll may me might more most much must my myself no nor not now of off on once only or other our
ours out over own per please pls plz re same shall she should so some such than thank thanks thx that the
their theirs them then there these they this those through to too under until up upon us very via want
wanted was we were what when where whether which while who whom why will with within without would yes
yet you your yours hi hello hey dear ok okay u ur id ill need needs know tell s t d m ve asap lol omg btw ty
""".split())
# Hangul syllables that stand alone mostly as particles, endings or the verb "to do"; their bigrams stay.
_STOP_SYLLABLES = frozenset("은 는 이 가 을 를 에 의 도 로 와 과 요 다 고 서 만 께 며 면 나 니 데 지 게 죠 네 음 함 됨 "
                            "해 하 한 할 합 했 된 되 될 돼 및 등 수 것 더 좀 제 저 그 또 즉 시 후 중 내 님 어 아 야 "
                            "여 워 려 떻 랑 까 거 건 걸 든 듯 뭐 왜 얼 언 요 세 습 입 있 없 싶".split())
# Query bigrams that carry no content: endings, politeness, question forms, pronouns, ...
_CHATTER_BIGRAMS = frozenset("""
세요 해주 주세 어요 아요 해요 예요 에요 나요 가요 까요 는데 은데 했는 했어 싶어 고싶 싶은 하고 하려 려면 어떻 떻게 언제
얼마 되나 되요 돼요 할수 수있 있나 있어 있을 있는 있습 드려 부탁 탁드 려요 니다 습니 합니 입니 하나 해야 혹시 안녕 녕하
하세 감사 사합 주시 시겠 겠어 겠습 인가 인데 건가 는지 은지 을까 를까 할까 거든 네요 군요 지요 가능 능한 한가 능할 능하
좀해 해줘 줘요 주라 라고 고요 는거 한거 하는 하면 으면 으로 에서 까지 부터 이랑 하게 되는 된거 는게 이게 그거 들어 어와
어가 어디 디서 디에 제가 저는 이거 저거 무슨 뭐가 건데 었는 았는 였는 했던 봤는 왔는 갔는 는건 인지 던데 더라 같아 같은
""".split())
# ... as is a bigram ending in a syllable of 하다/되다 ("품하" of 반품하려면, "경해" of 변경해) or a final ending.
_VERB_SYLLABLES = frozenset("하해했할한합되된될돼됩됐요죠까")
# Surface words folded onto one term before or after stemming (after: keyed by the stem).
_FOLD = {"cancellation": "cancel", "cancelation": "cancel", "cancellations": "cancel", "canceled": "cancel",
         "colour": "color", "colours": "color", "hr": "hour", "hrs": "hour", "h": "hour", "min": "minute",
         "mins": "minute", "wk": "week", "wks": "week", "modification": "modify", "modifications": "modify",
         "fulfillment": "fulfil", "fulfilment": "fulfil", "fulfilled": "fulfil", "fulfill": "fulfil",
         "shipment": "ship", "shipments": "ship", "delivery": "deliver", "deliveries": "deliver",
         "refundable": "refund", "returnable": "return", "personalised": "personalize",
         "personalized": "personalize", "personalise": "personalize",
         "preorders": "preorder", "addr": "address", "qty": "quantity", "amt": "amount"}
# Words a shopper and a brand use for the same thing, across English and Korean. Korean forms are
# matched inside the query's text (particles and endings attach to them) and enter as bigrams.
_LEXICON: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("cancel", "void"), ("취소",)),
    (("edit", "change", "modify", "update", "amend", "alter", "switch", "swap", "fix", "correct"),
     ("변경", "수정", "편집", "바꾸", "바꿔", "바꿀", "바꿨")),
    (("order", "purchase"), ("주문", "구매")),
    (("return",), ("반품", "반송")),
    (("refund", "money back", "reimburse"), ("환불",)),
    (("exchange",), ("교환",)),
    (("address",), ("주소", "배송지")),
    (("size",), ("사이즈", "치수")),
    (("color",), ("색상", "컬러", "색깔")),
    (("quantity", "amount"), ("수량", "개수")),
    (("ship", "deliver", "dispatch", "shipping"), ("배송", "발송", "출고", "택배")),
    (("policy", "rule", "terms"), ("정책", "규정", "약관")),
    (("fee", "charge", "cost"), ("수수료", "비용")),
    (("preorder", "pre order"), ("예약주문", "예약 주문", "사전주문", "사전 주문")),
    (("personalize", "custom", "customize", "engrave", "monogram"), ("맞춤", "커스텀", "각인", "주문제작")),
    (("subscription", "subscribe"), ("정기구독", "구독", "정기배송")),
    (("sale", "discount", "clearance"), ("세일", "할인", "특가")),
    (("gift card", "voucher"), ("기프트카드", "상품권")),
    (("window", "deadline"), ("이내", "기한", "마감")),
    (("item", "product"), ("상품", "제품", "품목")),
)


# --- terms --------------------------------------------------------------------------------------------


_REPEATS = re.compile(r"([a-z])\1{2,}")


def _normal(text: str) -> str:
    """NFKC, case-folded, a letter typed three times or more once ("hiii", "pleeease")."""
    return _REPEATS.sub(r"\1", unicodedata.normalize("NFKC", text).casefold())


def _stem_raw(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 4 and word.endswith("ied"):
        word = word[:-3] + "y"
    elif len(word) > 4 and word.endswith("sses"):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("es") and word[-3] in "sxz" or word.endswith(("ches", "shes")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    elif len(word) > 4 and word.endswith("ed") and not word.endswith("eed") and _has_vowel(word[:-2]):
        word = word[:-2]
    elif len(word) > 5 and word.endswith("ing") and _has_vowel(word[:-3]):
        word = word[:-3]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]
    return word


def _has_vowel(text: str) -> bool:
    return any(c in "aeiouy" for c in text)


_FOLDED = {_stem_raw(k): _stem_raw(v) for k, v in _FOLD.items()}


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """An English word's term: its light stem, with the domain's spellings folded together."""
    folded = _FOLD.get(word)
    if folded is not None:
        return _stem_raw(folded)
    stemmed = _stem_raw(word)
    return _FOLDED.get(stemmed, stemmed)


def terms(text: str) -> list[str]:
    """The terms of a text, in order, with repeats: English stems, numbers, Hangul bigrams and syllables."""
    out: list[str] = []
    for run in _RUNS.findall(_normal(text)):
        first = run[0]
        if "가" <= first <= "힣":
            out.extend(run[i:i + 2] for i in range(len(run) - 1))
            out.extend(c for c in run if c not in _STOP_SYLLABLES)
        elif first.isdigit():
            out.append(run.lstrip("0") or "0")
        elif run not in _STOP_WORDS and (len(run) > 1 or run in _FOLD):
            out.append(stem(run))
    return out


def _is_syllable(term: str) -> bool:
    return len(term) == 1 and "가" <= term <= "힣"


def _is_hangul_bigram(term: str) -> bool:
    return len(term) == 2 and all("가" <= c <= "힣" for c in term)


def _is_chatter(term: str) -> bool:
    """A Hangul bigram that is an ending, a politeness or a verb joint ("품하" of 반품하려면), not content."""
    return _is_hangul_bigram(term) and (term in _CHATTER_BIGRAMS or term[1] in _VERB_SYLLABLES)


@dataclass(frozen=True)
class _Group:
    """A lexicon group: how a query shows it (English stems, English phrases as term strings, Korean
    forms) and the terms that stand for it (single English words and Korean forms, as terms)."""

    stems: frozenset[str]
    phrases: tuple[str, ...]
    korean: tuple[str, ...]
    members: tuple[str, ...]

    def triggers(self, found: list[str], normal_text: str) -> list[str]:
        """The query's terms that name this group (none: the query does not)."""
        out = [t for t in found if t in self.stems]
        joined = " " + " ".join(found) + " "
        for phrase in self.phrases:
            if f" {phrase} " in joined:
                out.extend(phrase.split())
        for form in self.korean:
            if form in normal_text:
                out.extend(t for t in terms(form) if not _is_syllable(t))
        return list(dict.fromkeys(out))


def _groups() -> list[_Group]:
    out = []
    for english, korean in _LEXICON:
        single = [" ".join(terms(w)) for w in english if " " not in w]
        phrases = tuple(" ".join(terms(w)) for w in english if " " in w)
        members = [t for w in (*single, *korean) for t in terms(w) if not _is_syllable(t)]
        out.append(_Group(frozenset(single), phrases, tuple(_normal(k) for k in korean),
                          tuple(dict.fromkeys(members))))
    return out


_GROUPS = _groups()
_INTENT_TERMS = frozenset(t for g in _GROUPS for t in g.members)


def prior_weight(term: str) -> float:
    """How much a term of the shopper's own text counts, before the corpus is asked."""
    if _is_syllable(term):
        return SYLLABLE_WEIGHT
    if _is_chatter(term):
        return CHATTER_WEIGHT
    return INTENT_WEIGHT if term in _INTENT_TERMS else 1.0


@dataclass(frozen=True)
class Query:
    """What documents are scored on (`weights`: term -> weight) and what the query could score at most:
    one slot per term of the shopper's text, each the terms that may stand for it (itself; for a typo,
    its corrections; for a word the corpus lacks, its translations) with their weights."""

    weights: dict[str, float]
    slots: tuple[tuple[tuple[str, float], ...], ...]


# --- passages -------------------------------------------------------------------------------------------


def passages(body: str) -> list[str]:
    """The body cut where a brand's text breaks: paragraphs, list items, and long paragraphs into
    groups of sentences of up to about PASSAGE_CHARS."""
    out: list[str] = []
    for paragraph in _PARAGRAPHS.split(body):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        if len(paragraph) <= PASSAGE_CHARS:
            out.append(paragraph)
            continue
        group = ""
        for sentence in _SENTENCES.split(paragraph):
            sentence = sentence.strip()
            if group and len(group) + len(sentence) + 1 > PASSAGE_CHARS:
                out.append(group)
                group = ""
            group = f"{group} {sentence}".strip()
        if group:
            out.append(group)
    return out


# --- the index ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    body: str
    locale: str = "en"
    tags: tuple[str, ...] = ()
    version: int = 1
    created_at: str | None = None
    updated_at: str | None = None


@dataclass(frozen=True)
class Hit:
    """An article that answers a query: how well (0..1, see the module) and its best passage."""

    article: Article
    score: float
    passage: str


@dataclass
class Index:
    """The articles of one account, ready to rank: an inverted index from term to documents and the
    term's BM25F frequency in each (fields weighted and length-normalised), built once per change of
    the knowledge base."""

    articles: list[Article]
    postings: dict[str, dict[int, float]] = field(default_factory=dict)  # term -> {document: BM25F tf}
    named: dict[str, set[int]] = field(default_factory=dict)  # term -> documents whose title or tags have it
    # Filled as they are asked for (an index never changes once built, so neither do they).
    _deletions: dict[str, list[str]] | None = field(default=None, init=False, repr=False)  # English typos
    _bigrams: dict[str, list[str]] | None = field(default=None, init=False, repr=False)  # Korean typos
    _passages: dict[int, tuple[list[str], list[Counter[str]]]] = field(default_factory=dict, init=False, repr=False)
    _policies: dict[tuple[str, str | None], Hit | None] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def build(cls, articles: Iterable[Article]) -> Index:
        docs = list(articles)
        counted = [{"title": Counter(terms(a.title)), "tags": Counter(terms(" ".join(a.tags))),
                    "body": Counter(terms(a.body))} for a in docs]
        averages = {name: max(1.0, sum(sum(c[name].values()) for c in counted) / max(1, len(docs)))
                    for name, _, _ in FIELDS}
        index = cls(docs)
        for number, fields in enumerate(counted):
            for term in (*fields["title"], *fields["tags"]):
                index.named.setdefault(term, set()).add(number)
            weighted: dict[str, float] = {}
            for name, weight, b in FIELDS:
                norm = 1 - b + b * sum(fields[name].values()) / averages[name]
                for term, tf in fields[name].items():
                    weighted[term] = weighted.get(term, 0.0) + weight * tf / norm
            for term, frequency in weighted.items():
                index.postings.setdefault(term, {})[number] = frequency
        return index

    def idf(self, term: str) -> float:
        n = max(len(self.articles), MIN_DOCUMENTS)
        df = len(self.postings.get(term, ()))
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def frequency(self, number: int, wanted: Iterable[str]) -> float:
        """How much document `number` says the terms `wanted`: their summed BM25F frequency."""
        return sum(self.postings.get(term, {}).get(number, 0.0) for term in wanted)

    # -- the query --

    def query(self, text: str) -> Query:
        """The shopper's terms, weighted; typos the corpus lacks corrected to corpus terms; policy
        words widened by the lexicon (and translated, when the corpus has them only in the other language)."""
        weights: dict[str, float] = {}
        slots: dict[str, list[tuple[str, float]]] = {}
        for term in terms(text):
            weights[term] = prior_weight(term)
            slots[term] = [(term, weights[term])]
        named = list(weights) + self._corrected(weights, slots)
        self._widened(weights, slots, named, _normal(text))
        return Query(weights, tuple(tuple(alternatives) for alternatives in slots.values()))

    def _corrected(self, weights: dict[str, float], slots: dict[str, list[tuple[str, float]]]) -> list[str]:
        """Typos: a content term the corpus lacks gives its slot to the corpus terms one typo from it
        (returned), at FUZZY_WEIGHT of its weight."""
        corrections: list[str] = []
        for term in list(weights):
            if term in self.postings or weights[term] < 1.0:
                continue
            near = self._near(term)
            if near:
                slots[term] = [(n, weights[term] * FUZZY_WEIGHT) for n in near]
                for n in near:
                    weights[n] = max(weights.get(n, 0.0), weights[term] * FUZZY_WEIGHT)
                corrections.extend(near)
        return corrections

    def _widened(self, weights: dict[str, float], slots: dict[str, list[tuple[str, float]]], named: list[str],
                 normal_text: str) -> None:
        """The lexicon: a policy word the corpus has brings its relatives in at EXPANSION_WEIGHT; one the
        corpus lacks gives its slot to the relatives the corpus has (another language's word for it)."""
        for group in _GROUPS:
            triggers = group.triggers(named, normal_text)
            if not triggers:
                continue
            relatives = [t for t in group.members if t in self.postings and t not in weights]
            if any(t in self.postings for t in triggers):
                for t in relatives:
                    weights[t] = EXPANSION_WEIGHT
                continue
            for t in relatives:  # the corpus says it only in other words: those stand in, in full
                weights[t] = INTENT_WEIGHT
            if relatives:
                for t in triggers:
                    slots[t] = [(r, INTENT_WEIGHT) for r in relatives]

    def _near(self, term: str) -> list[str]:
        """Corpus terms one typo from `term`, a term the corpus lacks: for an English word (4 letters or
        more), one letter inserted, deleted, replaced or two swapped; for a Hangul bigram, one of its
        syllables with one jamo changed ("취쇼" -> 취소)."""
        if _is_hangul_bigram(term):  # corrected only to the lexicon's words: most bigrams are one jamo from many
            if self._bigrams is None:
                self._bigrams = {}
                for known in self.postings:
                    if _is_hangul_bigram(known) and known in _INTENT_TERMS:
                        self._bigrams.setdefault("1" + known[0], []).append(known)
                        self._bigrams.setdefault("2" + known[1], []).append(known)
            same_first = [k for k in self._bigrams.get("1" + term[0], ()) if _one_jamo(k[1], term[1])]
            same_second = [k for k in self._bigrams.get("2" + term[1], ()) if _one_jamo(k[0], term[0])]
            return sorted(set(same_first + same_second))
        if len(term) < 4 or not term.isascii() or not term.isalpha():
            return []
        if self._deletions is None:
            self._deletions = {}
            for known in self.postings:
                if len(known) >= 4 and known.isascii() and known.isalpha():
                    for variant in {known, *_deletes(known)}:
                        self._deletions.setdefault(variant, []).append(known)
        found: set[str] = set()
        for variant in {term, *_deletes(term)}:
            found.update(self._deletions.get(variant, ()))
        # A real word the corpus lacks is one edit from many ("black" from "back"): short words are
        # corrected only to the lexicon's policy words ("cancle", "adress", "refnd"), long ones to any.
        return sorted(t for t in found if t != term and _one_edit(term, t)
                      and (t in _INTENT_TERMS or len(term) >= 7))

    # -- ranking --

    def search(self, text: str, limit: int = 3, *, min_relevance: float = MIN_RELEVANCE,
               prefer_locale: str | None = None) -> list[Hit]:
        """The articles that answer `text`, best first, each at least `min_relevance` relevant; with
        `prefer_locale`, an article in that language goes before one about as good in the other."""
        query = self.query(text)
        ranked = []
        for number, relevance in self.relevance(query).items():
            if relevance < min_relevance:
                continue
            order = relevance * (LOCALE_PREFERENCE if prefer_locale == self.articles[number].locale else 1.0)
            ranked.append((order, relevance, number))
        ranked.sort(key=lambda r: (-r[0], self.articles[r[2]].title, r[2]))
        return [Hit(self.articles[n], round(min(relevance, 1.0), 4), self.best_passage(n, query))
                for _, relevance, n in ranked[:limit]]

    def relevance(self, query: Query) -> dict[int, float]:
        """Each matching document's BM25F score over the query's ceiling (above 1 when the lexicon or
        repeated mentions take it past what the shopper's own words reach; shown capped at 1)."""
        scores: dict[int, float] = {}
        for term, weight in query.weights.items():
            idf = self.idf(term)
            for number, tf in self.postings.get(term, {}).items():
                scores[number] = scores.get(number, 0.0) + weight * idf * tf * (K1 + 1) / (K1 + tf)
        ceiling = self.ceiling(query)
        return {number: score / ceiling for number, score in scores.items()}

    def ceiling(self, query: Query) -> float:
        """What a document would score holding each slot's best term in a title of only that term (as
        long as the corpus' average title): the most the shopper's own words can reach."""
        name, weight, b = FIELDS[0]
        in_title = weight / (1 - b + b * 1)
        saturated = in_title * (K1 + 1) / (K1 + in_title)
        total = sum(max(w * self.idf(t) for t, w in slot) * saturated for slot in query.slots)
        return total or 1.0

    def best_passage(self, number: int, query: Query) -> str:
        """The passage of the body that best matches the query (BM25 over the article's passages); the
        first one when only the title matched."""
        article = self.articles[number]
        if number not in self._passages:
            cut = passages(article.body)
            self._passages[number] = (cut, [Counter(terms(p)) for p in cut])
        candidates, counted = self._passages[number]
        if not candidates:
            return article.title
        average = max(1.0, sum(sum(c.values()) for c in counted) / len(counted))
        best, best_score = 0, 0.0
        for number, counts in enumerate(counted):
            norm = 1 - 0.75 + 0.75 * sum(counts.values()) / average
            score = 0.0
            for term, weight in query.weights.items():
                tf = counts.get(term, 0)
                if tf:
                    score += weight * self.idf(term) * tf * (K1 + 1) / (tf + K1 * norm)
            if score > best_score:
                best, best_score = number, score
        return candidates[best]


# --- the brand's policies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    """A policy the order skill quotes. `anchors`: the words an article about it names in its title or
    tags, or repeats in its body; `about_orders`: it must be about orders too (a subscription's
    cancellation rules are not the order cancellation policy); `query`: what its passage says (the
    window, the changes allowed), for the passage to quote."""

    anchors: tuple[str, ...]
    about_orders: bool
    query: str


TOPICS = {
    "order_edit": Topic(("edit", "change", "modify", "update", "amend", "변경", "수정", "편집"), True,
                        "edit change order within hour 주문 변경 수정 이내 시간"),
    "order_cancel": Topic(("cancel", "취소"), True, "cancel order within hour 주문 취소 이내 시간"),
    "returns": Topic(("return", "exchange", "반품", "교환", "반송"), False,
                     "return exchange within day 반품 교환 이내 일"),
}
ORDER_WORDS = ("order", "purchase", "주문", "구매")
# An article is about a topic when its title or tags name an anchor, or its body says them this much
# (BM25F frequency: about three mentions in an article of average length). Calibrated on
# tests/unit/test_kb_search.py: the policy articles there say their anchors 9 to 60, an article that
# only mentions the topic ("personalised items cannot be cancelled") about 1, one that points to it
# ("you can still return it, under our Returns policy") 2.
BODY_ABOUT = 3.0


def _term_set(words: Iterable[str]) -> frozenset[str]:
    return frozenset(t for w in words for t in terms(w) if not _is_syllable(t))


def policy(index: Index, topic: str, *, prefer_locale: str | None = None) -> Hit | None:
    """The article holding the brand's policy on `topic` (a key of TOPICS), or None when no article is
    about it (see BODY_ABOUT): of those that are, the one that says the topic's anchors most, in
    `prefer_locale` if the brand has one in that language. Its passage is the one that best states the
    policy."""
    key = (topic, prefer_locale)
    if key not in index._policies:
        index._policies[key] = _policy(index, TOPICS[topic], prefer_locale)
    return index._policies[key]


def _policy(index: Index, wanted: Topic, prefer_locale: str | None) -> Hit | None:
    anchors, orders = _term_set(wanted.anchors), _term_set(ORDER_WORDS)
    mentioned = {n for term in anchors for n in index.postings.get(term, {})}
    named = {n for term in anchors for n in index.named.get(term, ())}
    about = {n: index.frequency(n, anchors) for n in mentioned}
    qualified = [n for n in sorted(mentioned) if (n in named or about[n] >= BODY_ABOUT)
                 and (not wanted.about_orders or index.frequency(n, orders) > 0)]
    in_locale = [n for n in qualified if index.articles[n].locale == prefer_locale]
    candidates = in_locale or qualified
    if not candidates:
        return None
    best = max(candidates, key=lambda n: about[n])
    query = index.query(wanted.query)
    article = index.articles[best]
    return Hit(article, round(min(index.relevance(query).get(best, 0.0), 1.0), 4), index.best_passage(best, query))


def _one_jamo(a: str, b: str) -> bool:
    """Two Hangul syllables that differ in exactly one of initial, vowel and final."""
    x, y = ord(a) - 0xAC00, ord(b) - 0xAC00
    parts_a, parts_b = (x // 588, x % 588 // 28, x % 28), (y // 588, y % 588 // 28, y % 28)
    return sum(p != q for p, q in zip(parts_a, parts_b, strict=True)) == 1


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """a and b differ by one insertion, deletion, substitution or swap of neighbours."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def detect_locale(text: str) -> str:
    """`ko` when Hangul is at least a fifth of the letters, else `en`."""
    letters = [c for c in text if c.isalpha()]
    hangul = sum(1 for c in letters if "가" <= c <= "힣")
    return "ko" if letters and hangul * 5 >= len(letters) else "en"


def rank(articles: Sequence[Article], text: str, limit: int = 3) -> list[Hit]:
    """One-off ranking (builds an index each call): for tests and tools; the API keeps its Index."""
    return Index.build(articles).search(text, limit)
