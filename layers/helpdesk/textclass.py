"""Text classification shipped as data: a linear model over character and word n-grams, trained offline.

One approach for every classifier that reads a customer's message: the order skill's intents (one
label per message, softmax) and the auto-tagger's tags (several per message, one-vs-rest). A model is
a JSON file under helpdesk/models/ written by infra/train_textclass.py: its feature settings, labels,
weights and abstain thresholds. Inference is pure Python (dictionary lookups and a softmax), so the
Lambda needs no numpy and no network, and nothing a customer writes leaves the account.

English and Korean share one feature space. Korean is written with free spacing ("주문취소" and
"주문 취소" mean the same thing) and agglutinated endings, so Hangul is read as character n-grams over
each run of Hangul words with the spaces taken out; Latin words give character n-grams inside the
word (typos keep most of them) plus the word itself. Word unigrams and bigrams run across scripts.
"""
from __future__ import annotations

import functools
import json
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = 1
MODELS_DIR = Path(__file__).with_name("models")

# --- normalisation -------------------------------------------------------------------------------

_HANGUL = "\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\ud7b0-\ud7ff"
_COMPAT_JAMO = re.compile(r"[\u3130-\u318f]+")
_NOT_COMPAT_JAMO = re.compile(r"[^\u3130-\u318f]+")
# Reply history and signatures say nothing about what this message asks; a long email thread would
# otherwise be classified on the shop's own earlier message.
_QUOTED_FROM = re.compile(
    r"^\s*(?:on\b.{0,200}\bwrote:|-{2,}\s*original message\s*-{2,}|-{2,}\s*forwarded message\s*-{2,}"
    r"|from:\s.*\n\s*sent:\s|-{3,}\s*원본 메시지\s*-{3,}|보낸 사람:\s|.{0,80}님이 작성:)",
    re.IGNORECASE | re.MULTILINE)
_QUOTED_LINE = re.compile(r"^\s*>.*$", re.MULTILINE)
_SIGNATURE = re.compile(r"^-- ?$", re.MULTILINE)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ORDER_REF = re.compile(r"#\s?\d[\d-]*")
# A phone number: 8+ digits with the usual separators (010-1234-5678, +1 (415) 555-0134). Door codes,
# zip codes and order numbers are shorter or unseparated and become <num>.
_PHONE = re.compile(r"(?<![\w#])(?:\+\d{1,3}[\s.-]?)?\(?\d{2,4}\)?[\s.-]?\d{3,4}[\s.-]?\d{4}(?!\d)")
_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")
_REPEAT = re.compile(r"(.)\1{2,}", re.DOTALL)
_DROP = dict.fromkeys([*map(ord, "\ufe0f\ufe0e\u200d\u200b\u00ad"), *range(0x1F3FB, 0x1F400)])  # + skin tones
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
PLACEHOLDERS = frozenset({"<url>", "<email>", "<order>", "<phone>", "<num>"})

_TOKEN = re.compile(rf"<(?:url|email|order|phone|num)>|[{_HANGUL}]+|[^\W\d_{_HANGUL}]+(?:'[^\W\d_{_HANGUL}]+)*"
                    rf"|[^\s\w]")
_IS_HANGUL = re.compile(rf"[{_HANGUL}]")
_IS_LETTERS = re.compile(rf"[^\W\d_{_HANGUL}]")


def strip_quoted(text: str) -> str:
    """The message without the history it quotes or its '-- ' signature (email replies)."""
    cut = _QUOTED_FROM.search(text)
    if cut and cut.start() > 0:
        text = text[:cut.start()]
    sig = _SIGNATURE.search(text)
    if sig and sig.start() > 0:
        text = text[:sig.start()]
    return _QUOTED_LINE.sub("", text)


def normalise(text: str) -> str:
    """NFKC, lower case, URLs / emails / order refs / phone numbers / numbers as placeholders, a run of
    one character (ㅠㅠㅠㅠ, !!!!, sooo) cut to two, whitespace collapsed."""
    # Compatibility jamo (ㅠ, ㅇ, ㄳ) stay as typed: NFKC would turn them into conjoining jamo that can
    # fuse with the syllable before them ("감사ㄳ" -> "감삯").
    text = _NOT_COMPAT_JAMO.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    text = text.translate(_DROP).translate(_APOSTROPHES).lower()
    text = _URL.sub(" <url> ", text)
    text = _EMAIL.sub(" <email> ", text)
    text = _ORDER_REF.sub(" <order> ", text)
    text = _PHONE.sub(" <phone> ", text)
    text = _NUMBER.sub(" <num> ", text)
    text = _REPEAT.sub(r"\1\1", text)
    return " ".join(text.split())


def tokens(normalised: str) -> list[str]:
    """Words (Hangul runs, letter runs with inner apostrophes), placeholders and single symbols; a
    change of script splits a word ("order취소" -> "order", "취소")."""
    return _TOKEN.findall(normalised)


# --- features ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Features:
    """Which n-grams a model reads; stored in the model file, so training and inference agree."""

    latin: tuple[int, int] = (2, 5)  # character n-grams inside a non-Hangul word, padded with < and >
    hangul: tuple[int, int] = (1, 3)  # character n-grams over a run of Hangul words, spaces removed
    hangul_words: bool = True  # character n-grams of each Hangul word as written, padded, too
    words: bool = True
    bigrams: bool = True
    strip_quoted: bool = True
    # What a shopper asks comes first; a pasted 100 KB email would otherwise cost a hundred SMS.
    max_chars: int = 2000
    # Cues: named lists of wordings that mean one thing in either language ("cancel", "취소", "canx").
    # A cue is one feature (x:<name>), so what the model learns from "환불" in Korean it also applies to
    # "refund" in English, and to a spelling it has never seen. A Latin pattern is a whole word or
    # phrase ("hi" is not "his"; "cancel*" is a prefix); a Hangul pattern is a substring, spaces ignored.
    cues: tuple[tuple[str, tuple[str, ...]], ...] = ()
    cue_value: float = 0.5  # each cue's value, outside the n-grams' unit length: a signature cannot dilute it

    def to_dict(self) -> dict[str, Any]:
        return {"latin": list(self.latin), "hangul": list(self.hangul), "hangul_words": self.hangul_words,
                "words": self.words, "bigrams": self.bigrams, "strip_quoted": self.strip_quoted,
                "max_chars": self.max_chars, "cues": {name: list(patterns) for name, patterns in self.cues},
                "cue_value": self.cue_value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Features:
        return cls(latin=(int(data["latin"][0]), int(data["latin"][1])),
                   hangul=(int(data["hangul"][0]), int(data["hangul"][1])),
                   hangul_words=bool(data["hangul_words"]), words=bool(data["words"]),
                   bigrams=bool(data["bigrams"]), strip_quoted=bool(data["strip_quoted"]),
                   max_chars=int(data["max_chars"]),
                   cues=tuple((name, tuple(patterns)) for name, patterns in data.get("cues", {}).items()),
                   cue_value=float(data.get("cue_value", 0.5)))

    @functools.cached_property
    def _cue_matchers(self) -> tuple[tuple[str, re.Pattern[str] | None, tuple[str, ...]], ...]:
        matchers = []
        for name, patterns in self.cues:
            hangul = tuple("".join(p.split()) for p in patterns if _IS_HANGUL.search(p))
            latin = [re.escape(p.rstrip("*")) + ("" if p.endswith("*") else "(?![a-z0-9])")
                     for p in patterns if not _IS_HANGUL.search(p)]
            regex = re.compile("(?<![a-z0-9])(?:" + "|".join(latin) + ")") if latin else None
            matchers.append((name, regex, hangul))
        return tuple(matchers)

    def cues_in(self, normalised: str) -> list[str]:
        """The names of the cues a normalised message contains."""
        compact = "".join(normalised.split())
        return [name for name, regex, hangul in self._cue_matchers
                if (regex is not None and regex.search(normalised)) or any(h in compact for h in hangul)]

    def extract(self, text: str) -> dict[str, float]:
        """The message's features with their values: present once, scaled to unit length, so a long
        email does not outvote a short SMS."""
        if self.strip_quoted:
            text = strip_quoted(text[:self.max_chars * 4])
        text = text[:self.max_chars]
        found: set[str] = set()
        normalised = normalise(text)
        words = tokens(normalised)
        run: list[str] = []
        for word in words:
            if _IS_HANGUL.match(word):
                run.append(word)
                if self.hangul_words:
                    _ngrams(found, "k:", f"<{word}>", 2, self.hangul[1] + 1)
                continue
            if run:
                _ngrams(found, "h:", "".join(run), *self.hangul)
                run = []
            if _IS_LETTERS.match(word):
                _ngrams(found, "c:", f"<{word}>", *self.latin)
        if run:
            _ngrams(found, "h:", "".join(run), *self.hangul)
        content = [w for w in words if w in PLACEHOLDERS or _IS_HANGUL.match(w) or _IS_LETTERS.match(w)]
        if self.words:
            found.update(f"w:{w}" for w in words)
        if self.bigrams:
            found.update(f"b:{a} {b}" for a, b in zip(content, content[1:], strict=False))
        features = dict.fromkeys(found, 1.0 / math.sqrt(len(found))) if found else {}
        features.update((f"x:{name}", self.cue_value) for name in self.cues_in(normalised))
        return features


def _ngrams(into: set[str], prefix: str, text: str, low: int, high: int) -> None:
    for n in range(low, high + 1):
        into.update(prefix + text[i:i + n] for i in range(len(text) - n + 1))


def informative(feature: str) -> bool:
    """Features that say something about the wording: a gibberish message shares single letters and
    letter pairs with real ones, rarely longer n-grams or whole words."""
    kind, _, body = feature.partition(":")
    if kind == "c":
        return len(body) >= 3
    if kind == "x":
        return False  # a cue is found in gibberish as easily as its words are
    if kind == "w":
        return body in PLACEHOLDERS or _IS_HANGUL.match(body) is not None or _IS_LETTERS.match(body) is not None
    return kind != "h" or len(body) >= 2


# --- model ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prediction:
    """label: the answer, None when the model abstains (treat the message as unknown: hand it to a
    human); best: the top label even then; labels: every label accepted (one for `predict`, any number
    for `predict_multi`); scores: each label's probability (softmax over labels for a single-label
    model, an independent sigmoid each for a one-vs-rest model); coverage: the share of the message's
    informative features the model has seen in training; no_label: a one-vs-rest model's probability
    that the message carries no label at all, None for a model that does not learn it."""

    label: str | None
    best: str
    labels: tuple[str, ...]
    scores: Mapping[str, float]
    confidence: float
    coverage: float
    abstained: bool
    no_label: float | None = None


NO_LABEL = "<no label>"  # the no-label column's key among a message's probabilities (never a label's name)


@dataclass(frozen=True)
class Acceptance:
    """Which labels a one-vs-rest model accepts, most probable first: none if the probability of no label
    (NO_LABEL in `probs`, when the model learns it) reaches `no_label_below`; else those at or over
    `threshold`; else the most probable alone if it reaches `fallback`. Model.predict_multi's rule, and
    the trainer's on out-of-fold probabilities when it chooses the cuts."""

    threshold: float
    fallback: float | None = None
    no_label_below: float | None = None

    def labels(self, probs: Mapping[str, float]) -> tuple[str, ...]:
        no_label = probs.get(NO_LABEL)
        if no_label is not None and self.no_label_below is not None and no_label >= self.no_label_below:
            return ()
        order = sorted((label for label in probs if label != NO_LABEL), key=lambda label: -probs[label])
        got = tuple(label for label in order if probs[label] >= self.threshold)
        if got or self.fallback is None or not order:
            return got
        return (order[0],) if probs[order[0]] >= self.fallback else ()


@dataclass(frozen=True)
class Model:
    """A linear model: score(label) = bias[label] + sum(weight[feature][label] * value) / scale.

    Weights are fixed-point integers (weight × scale), stored in the file as one flat list after the
    feature names: JSON parses integers about three times faster than floats, and a cold start pays it."""

    name: str
    kind: str  # "softmax" (one label per message) or "ovr" (independent labels, several per message)
    labels: tuple[str, ...]
    features: Features
    bias: tuple[float, ...]
    weights: Mapping[str, Sequence[int]]
    min_confidence: float  # below this top probability, predict() abstains
    min_coverage: float  # below this share of known informative features, both abstain
    threshold: float  # predict_multi's default acceptance threshold
    scale: int = 10_000
    meta: Mapping[str, Any] = field(default_factory=dict)
    # One-vs-rest: when no label reaches the threshold, the most probable one is still accepted if its
    # probability reaches this (nearly every message a shop gets carries some tag); None for never.
    fallback: float | None = None
    # One-vs-rest: the weights and bias carry one more column after the labels': "no label", learnt from
    # the messages labelled with none (greetings, thanks, "ok"), never accepted itself. By default a
    # message gets labels only while its no-label probability is under `no_label_below` (None: whatever
    # it is): else the fallback would give a greeting its least unlikely label, and an acknowledgement's
    # "received" or "got" (as in "got the wrong size") would pass the threshold.
    no_label: bool = False
    no_label_below: float | None = None

    # -- reading and writing

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Model:
        if data.get("format") != FORMAT:
            raise ValueError(f"model format {data.get('format')!r}, expected {FORMAT}")
        labels = tuple(data["labels"])
        no_label = bool(data.get("no_label", False))  # absent from a file written before it (intents)
        if no_label and data["kind"] != "ovr":
            raise ValueError("only a one-vs-rest model learns a no-label column")
        names, values, n = data["weights"]["features"], data["weights"]["values"], len(labels) + no_label
        if len(values) != n * len(names) or len(data["bias"]) != n:
            raise ValueError("model weights do not match its labels")
        weights = {f: tuple(values[i * n:(i + 1) * n]) for i, f in enumerate(names)}
        if data["kind"] not in ("softmax", "ovr"):
            raise ValueError(f"model kind {data['kind']!r}")
        abstain = data["abstain"]
        fallback = abstain.get("fallback")
        below = abstain.get("no_label_below")
        return cls(name=data["name"], kind=data["kind"], labels=labels,
                   features=Features.from_dict(data["features"]), bias=tuple(data["bias"]), weights=weights,
                   min_confidence=float(abstain["min_confidence"]), min_coverage=float(abstain["min_coverage"]),
                   threshold=float(abstain["threshold"]),
                   fallback=None if fallback is None else float(fallback), scale=int(data["weights"]["scale"]),
                   meta=data.get("meta", {}), no_label=no_label,
                   no_label_below=None if below is None else float(below))

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "name": self.name, "kind": self.kind, "labels": list(self.labels),
                **({"no_label": True} if self.no_label else {}),
                "features": self.features.to_dict(),
                "abstain": {"min_confidence": self.min_confidence, "min_coverage": self.min_coverage,
                            "threshold": self.threshold,
                            **({"fallback": self.fallback} if self.fallback is not None else {}),
                            **({"no_label_below": self.no_label_below} if self.no_label_below is not None else {})},
                "bias": list(self.bias), "meta": dict(self.meta),
                "weights": {"scale": self.scale, "features": sorted(self.weights),
                            "values": [w for f in sorted(self.weights) for w in self.weights[f]]}}

    @classmethod
    def load(cls, path: str | Path) -> Model:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    # -- scoring

    def _score(self, text: str) -> tuple[list[float], float]:
        """Each column's score (the labels', then no-label's if the model has it) and the coverage."""
        sums = [0.0] * len(self.bias)
        seen = known = 0
        for feature, value in self.features.extract(text or "").items():
            row = self.weights.get(feature)
            if informative(feature):
                seen += 1
                known += row is not None
            if row is not None:
                for k, w in enumerate(row):
                    sums[k] += w * value
        scores = [b + s / self.scale for b, s in zip(self.bias, sums, strict=True)]
        return scores, (known / seen if seen else 0.0)

    def _probabilities(self, scores: list[float]) -> list[float]:
        if self.kind == "ovr":
            return [_sigmoid(s) for s in scores]
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return [e / total for e in exps]

    def predict(self, text: str) -> Prediction:
        """The one label the message is, or an abstention (label None) when the model has seen too
        little of its wording or no label stands out."""
        scores, coverage = self._score(text)
        probs = self._probabilities(scores)
        no_label = probs.pop() if self.no_label else None  # never the answer
        best = max(range(len(probs)), key=probs.__getitem__)
        abstained = coverage < self.min_coverage or probs[best] < self.min_confidence
        label = None if abstained else self.labels[best]
        return Prediction(label=label, best=self.labels[best], labels=() if label is None else (label,),
                          scores=dict(zip(self.labels, probs, strict=True)), confidence=probs[best],
                          coverage=coverage, abstained=abstained, no_label=no_label)

    def predict_multi(self, text: str, threshold: float | None = None) -> Prediction:
        """Every label whose probability reaches the threshold, best first; none when the model has seen
        too little of the message's wording. With the model's own threshold (None), also the model's
        rule: none when the no-label probability reaches the model's cut for it, and the best label
        alone when no label reaches the threshold but it reaches the model's fallback."""
        scores, coverage = self._score(text)
        probs = self._probabilities(scores)
        no_label = probs.pop() if self.no_label else None
        by_label = dict(zip(self.labels, probs, strict=True))
        rule = Acceptance(self.threshold, self.fallback, self.no_label_below) if threshold is None \
            else Acceptance(threshold)
        abstained = coverage < self.min_coverage
        accepted = () if abstained else rule.labels(by_label if no_label is None else {**by_label, NO_LABEL: no_label})
        best = max(range(len(probs)), key=lambda k: (probs[k], -k))
        return Prediction(label=accepted[0] if accepted else None, best=self.labels[best], labels=accepted,
                          scores=by_label, confidence=probs[best],
                          coverage=coverage, abstained=abstained or not accepted, no_label=no_label)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@functools.cache
def shipped(name: str) -> Model:
    """A model shipped in the layer (helpdesk/models/<name>.json), read once per process."""
    return Model.load(MODELS_DIR / f"{name}.json")
