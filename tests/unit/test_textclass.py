"""helpdesk.textclass and its offline trainer: normalisation, the shipped intent model, abstention,
one-vs-rest for the tagger, and that the shipped file is what the trainer makes from the labelled set."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest

from helpdesk import textclass
from helpdesk.textclass import Features, Model, normalise, shipped, strip_quoted, tokens
from infra.train_textclass import (
    DATASETS,
    NO_LABEL,
    Acceptance,
    Dataset,
    Training,
    build,
    data_digest,
    duplicate_key,
    fit,
    heldout_examples,
    load_examples,
    out_of_fold,
    split,
)

ROOT = Path(__file__).resolve().parents[2]
INTENTS = DATASETS["intents"]




# --- normalisation -------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("ＣＡＮＣＥＬ my ORDER", "cancel my order"),  # full-width letters (NFKC), case
    (unicodedata.normalize("NFD", "주문 취소"), "주문 취소"),  # decomposed Hangul (macOS input) composes
    ("취소해주세요ㅠㅠㅠㅠㅠ!!!!!", "취소해주세요ㅠㅠ!!"),  # runs cut to two
    ("sooooo slow", "soo slow"),
    ("감사ㄳ", "감사ㄳ"),  # compatibility jamo stay as typed, not fused into the syllable before
    ("see https://shop.example/o/1?x=2 or www.shop.example", "see <url> or <url>"),
    ("mail me at jane.doe+shop@example.co.uk", "mail me at <email>"),
    ("order #1042 and # 77", "order <order> and <order>"),
    ("call 010-2345-6789 or +1 (415) 555-0134 or 415.555.0199", "call <phone> or <phone> or <phone>"),
    ("door code 1234# zip 94110 order 20231105-0001234", "door code <num> # zip <num> order <num>"),
    ("size 8.5 not 12B", "size <num> not <num> b"),
    ("I don’t  want\tit\n\n", "i don't want it"),
    ("👍🏽\ufe0f", "👍"),  # skin tone and variation selector dropped
])
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_tokens_split_on_a_change_of_script_and_keep_placeholders() -> None:
    assert tokens(normalise("order취소 가능?? #1042")) == ["order", "취소", "가능", "?", "?", "<order>"]


def test_strip_quoted_drops_history_and_signature() -> None:
    email = ("Please cancel my order.\nThanks,\nAna\n-- \nAna Ruiz | 555-201-8890\n\n"
             "On Tue, Nov 4, 2025 at 9:12 AM Shop <help@shop.example> wrote:\n> Where is my order?\n")
    assert strip_quoted(email).strip() == "Please cancel my order.\nThanks,\nAna"
    assert strip_quoted("> quoted only line\nreal question") == "\nreal question"
    korean = "주문 취소해주세요\n\n-----원본 메시지-----\n보낸 사람: shop\n배송이 시작되었습니다"
    assert strip_quoted(korean).strip() == "주문 취소해주세요"


def test_features_ignore_spacing_in_korean() -> None:
    """'주문취소' and '주문 취소' share every spacing-free Hangul n-gram and the cue."""
    features = Features(cues=(("cancel", ("취소",)),))
    spaced, joined = features.extract("주문 취소 해주세요"), features.extract("주문취소해주세요")
    assert {f for f in spaced if f.startswith("h:")} == {f for f in joined if f.startswith("h:")}
    assert "x:cancel" in spaced and "x:cancel" in joined


def test_cues_match_whole_english_words_and_prefixes() -> None:
    features = Features(cues=(("greeting", ("hi",)), ("cancel", ("cancel*",)), ("stop", ("stop texting",))))
    assert features.cues_in(normalise("Hi there")) == ["greeting"]
    assert features.cues_in(normalise("this is his order")) == []
    assert features.cues_in(normalise("cancellation please")) == ["cancel"]
    assert features.cues_in(normalise("pls STOP texting")) == ["stop"]


def test_a_long_message_is_read_only_up_to_max_chars() -> None:
    features = Features(max_chars=50)
    assert features.extract("where is my order " + "lorem ipsum " * 1000) == features.extract(
        ("where is my order " + "lorem ipsum " * 1000)[:50])


# --- the shipped intent model --------------------------------------------------------------------

CANONICAL = [  # written for this test; none is in the labelled set (checked below)
    ("Hi, can I change the colour of my order to red? It hasn't shipped yet", "change_order"),
    ("배송지 변경 가능한가요? 이사 가요", "change_order"),
    ("please cancel my order #2231, I don't need it anymore", "cancel_order"),
    ("주문 취소 부탁드립니다 ㅠㅠㅠㅠ", "cancel_order"),
    ("order 취소 가능한가요?", "cancel_order"),
    ("can you add one more candle to my order?", "add_item"),
    ("주문에 립밤 하나 추가 가능할까요?", "add_item"),
    ("where is my package?? ordered a week ago", "order_status"),
    ("배송 언제 와요? 일주일 됐어요", "order_status"),
    ("tracking 번호 알려주세요", "order_status"),
    ("the mug I received is cracked, I want a refund", "return_or_exchange"),
    ("받은 신발이 작아요 교환하고 싶어요", "return_or_exchange"),
    ("cancel these texts please", "other"),
    ("can you stop texting me, thanks", "other"),
    ("이 번호로 문자 그만 보내주세요!!", "other"),
    ("where do I change my password??", "other"),
    ("비밀번호 변경 어떻게 해요?", "other"),
    ("do you have a discount code?", "other"),
    ("Hello,\n\nCould you please cancel order #5120? I ordered it by mistake.\n\nBest regards,\nJane Doe\n"
     "+1 (415) 555-0134\n\nOn Mon, Nov 3, 2025 at 10:00 AM Shop <help@shop.example> wrote:\n"
     "> Thanks for your order! Track it here: https://shop.example/t/5120", "cancel_order"),
]


def test_canonical_messages_are_not_in_the_labelled_set() -> None:
    known = {duplicate_key(e.text) for e in load_examples(INTENTS)}
    assert [text for text, _ in CANONICAL if duplicate_key(text) in known] == []


@pytest.mark.parametrize("text, intent", CANONICAL)
def test_shipped_model_reads_canonical_messages(text: str, intent: str) -> None:
    prediction = shipped("intents").predict(text)
    assert (prediction.label, prediction.abstained) == (intent, False)
    assert prediction.labels == (intent,)
    assert prediction.best == intent
    assert set(prediction.scores) == set(INTENTS.labels)
    assert sum(prediction.scores.values()) == pytest.approx(1.0)
    assert prediction.confidence == max(prediction.scores.values())


@pytest.mark.parametrize("text", ["", "   ", "asdfgh qwerty", "ㅁㄴㅇㄹ", "zxcvb lkjhg", "🙂", "?????", "뷁뛟",
                                  "キャンセルしたい"])
def test_abstains_on_gibberish_and_empty(text: str) -> None:
    prediction = shipped("intents").predict(text)
    assert prediction.abstained
    assert prediction.label is None
    assert prediction.labels == ()
    assert prediction.best in INTENTS.labels  # still says what it would have guessed


def test_predict_multi_on_a_single_label_model() -> None:
    model = shipped("intents")
    text = "can I return the shoes and where is my other order?"
    everything = model.predict_multi(text, threshold=0.0)
    assert list(everything.labels) == sorted(model.labels, key=lambda k: -everything.scores[k])
    assert everything.label == everything.best
    assert model.predict_multi(text, threshold=1.01).labels == ()
    assert model.predict_multi(text, threshold=1.01).label is None
    assert model.predict_multi("asdfgh qwerty", threshold=0.0).labels == ()  # abstains on gibberish


def test_shipped_model_is_what_the_trainer_makes() -> None:
    """Retrained from the labelled set with the same seed: same data hash, split, vocabulary, weights
    (to a fixed-point unit or two, for a libm that rounds differently) and held-out predictions."""
    shipped_model = Model.load(INTENTS.model_path)
    assert shipped_model.meta["data_sha256"] == data_digest(INTENTS.data), (
        "tests/data/intents.jsonl changed: run `python -m infra.train_textclass intents`")
    rebuilt, _, held = build(INTENTS)
    assert rebuilt.meta["heldout"] == shipped_model.meta["heldout"]
    assert rebuilt.features == shipped_model.features
    assert (rebuilt.labels, rebuilt.kind) == (shipped_model.labels, shipped_model.kind)
    assert set(rebuilt.weights) == set(shipped_model.weights)
    worst = max(abs(a - b) for f, row in rebuilt.weights.items() for a, b in zip(row, shipped_model.weights[f],
                                                                                  strict=True))
    assert worst <= 2
    assert rebuilt.bias == pytest.approx(shipped_model.bias, abs=1e-3)
    assert [rebuilt.predict(e.text).label for e in held] == [shipped_model.predict(e.text).label for e in held]
    assert sorted(e.id for e in heldout_examples(shipped_model, INTENTS)) == sorted(e.id for e in held)


def test_model_file_round_trips_and_refuses_a_malformed_one() -> None:
    data = Model.load(INTENTS.model_path).to_dict()
    again = Model.from_dict(json.loads(json.dumps(data)))
    assert again.to_dict() == data
    with pytest.raises(ValueError, match="format"):
        Model.from_dict({**data, "format": 99})
    with pytest.raises(ValueError, match="labels"):
        Model.from_dict({**data, "weights": {**data["weights"], "values": data["weights"]["values"][:-1]}})


def test_a_long_email_costs_about_what_a_short_one_does() -> None:
    """Ratios only: the cut at max_chars keeps a pasted 100 KB message near the cost of a 2 KB one."""
    model = shipped("intents")
    short = "Hi, where is my order? " * 90
    long = short + "I have been waiting for a very long time. " * 2400

    def best_of(text: str) -> float:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            model.predict(text)
            times.append(time.perf_counter() - started)
        return min(times)

    assert len(long) > 100_000
    assert best_of(long) < 4 * best_of(short)


def test_inference_imports_no_numeric_stack() -> None:
    code = ("import sys\nfrom helpdesk import textclass\ntextclass.shipped('intents').predict('where is my order')\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'scipy', 'sklearn', 'infra'}))")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "layers")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_shipped_model_lives_in_the_layer() -> None:
    """infra/build.py copies layers/helpdesk whole (bytecode caches aside), so the model ships with it."""
    assert INTENTS.model_path.parent == Path(textclass.__file__).parent / "models"
    assert INTENTS.model_path.is_file()
    assert INTENTS.model_path.stat().st_size < 2_000_000


# --- the labelled set and the trainer ------------------------------------------------------------


def test_labelled_set_is_large_balanced_and_half_korean() -> None:
    examples = load_examples(INTENTS)
    assert len(examples) >= 360
    korean = sum(e.lang in ("ko", "mixed") for e in examples) / len(examples)
    assert 0.4 <= korean <= 0.6
    for intent in INTENTS.labels:
        share = sum(e.labels == (intent,) for e in examples) / len(examples)
        assert 0.12 <= share <= 0.22, intent


def _dataset(tmp_path: Path, rows: list[dict[str, object]], **changes: object) -> Dataset:
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return replace(Dataset(name="t", data=path, target="intent", labels=("a", "b"), kind="softmax"), **changes)


def test_labelled_set_refuses_near_copies_and_unknown_labels(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [{"text": "주문 취소해주세요", "intent": "a", "lang": "ko"},
                                     {"text": "주문취소 해주세요!!!!", "intent": "a", "lang": "ko"}]
    with pytest.raises(ValueError, match="the same message as line 1"):
        load_examples(_dataset(tmp_path, rows))
    with pytest.raises(ValueError, match="unknown label 'c'"):
        load_examples(_dataset(tmp_path, [{"text": "x", "intent": "c", "lang": "en"}]))
    with pytest.raises(ValueError, match="lang 'fr'"):
        load_examples(_dataset(tmp_path, [{"text": "x", "intent": "a", "lang": "fr"}]))


def test_split_is_stratified_and_stable_when_a_message_is_added() -> None:
    examples = load_examples(INTENTS)
    train, held = split(examples, 0.25, seed=7)
    assert len(train) + len(held) == len(examples)
    for intent in INTENTS.labels:
        for lang in ("en", "ko", "mixed"):
            group = [e for e in examples if e.labels == (intent,) and e.lang == lang]
            assert sum(e in held for e in group) == round(len(group) * 0.25)
    added = replace(examples[0], id="added-one", text="an extra message")
    _, held_after = split([*examples, added], 0.25, seed=7)
    moved = {e.id for e in held} ^ {e.id for e in held_after}
    assert moved <= {"added-one", *(e.id for e in examples if e.labels == examples[0].labels
                                    and e.lang == examples[0].lang)}
    assert len(moved) <= 2


def test_trainer_makes_a_one_vs_rest_model_for_several_labels(tmp_path: Path) -> None:
    """The tagger's case: a message may carry several labels, each with its own probability."""
    rows: list[dict[str, object]] = []
    for i, thing in enumerate(["parcel", "package", "택배", "box", "delivery", "배송", "shipment", "order"]):
        rows.append({"text": f"where is my {thing} {i}", "tags": ["shipping"], "lang": "en"})
        rows.append({"text": f"I want a refund for the {thing} {i}", "tags": ["refund"], "lang": "en"})
        rows.append({"text": f"the {thing} {i} is late and I want my money back, refund please",
                     "tags": ["shipping", "refund"], "lang": "en"})
        rows.append({"text": f"love the {thing} {i} colours", "tags": ["feedback"], "lang": "en"})
    dataset = _dataset(tmp_path, rows, target="tags", labels=("shipping", "refund", "feedback"), kind="ovr",
                       training=Training(min_df=1, epochs=40))
    model = fit(dataset, load_examples(dataset))
    both = model.predict_multi("my parcel is late, I want a refund")
    assert set(both.labels) == {"shipping", "refund"}
    assert all(both.scores[label] >= model.threshold for label in both.labels)
    assert model.predict_multi("where is my parcel").labels == ("shipping",)
    again = Model.from_dict(json.loads(json.dumps(model.to_dict())))
    assert again.predict_multi("my parcel is late, I want a refund").labels == both.labels


def test_a_softmax_dataset_refuses_several_labels_per_message(tmp_path: Path) -> None:
    dataset = _dataset(tmp_path, [{"text": "x y", "intent": ["a", "b"], "lang": "en"}])
    with pytest.raises(ValueError, match="exactly one label"):
        fit(dataset, load_examples(dataset))


def test_a_one_vs_rest_fallback_accepts_the_best_label_alone_when_none_reaches_the_threshold(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = []
    for i, thing in enumerate(["parcel", "package", "box", "delivery", "shipment", "order"]):
        rows.append({"text": f"where is my {thing} {i}", "tags": ["shipping"], "lang": "en"})
        rows.append({"text": f"I want a refund for the {thing} {i}", "tags": ["refund"], "lang": "en"})
    dataset = _dataset(tmp_path, rows, target="tags", labels=("shipping", "refund"), kind="ovr",
                       training=Training(min_df=1, epochs=40))
    model = fit(dataset, load_examples(dataset))
    text = "where is my refund"
    scores = model.predict_multi(text, threshold=0.0).scores
    best, top = max(scores.items(), key=lambda item: item[1])
    above = replace(model, threshold=round(top + 0.01, 4))
    assert above.predict_multi(text).labels == ()
    assert replace(above, fallback=round(top - 0.01, 4)).predict_multi(text).labels == (best,)
    assert replace(above, fallback=round(top + 0.005, 4)).predict_multi(text).labels == ()
    with_fallback = replace(above, fallback=0.0)
    assert with_fallback.predict_multi(text, threshold=above.threshold).labels == ()  # a threshold given: none
    assert with_fallback.predict_multi("asdfgh qwerty").labels == ()  # still abstains on gibberish
    again = Model.from_dict(json.loads(json.dumps(with_fallback.to_dict())))
    assert again.fallback == 0.0
    assert again.predict_multi(text).labels == (best,)
    assert "fallback" not in Model.load(INTENTS.model_path).to_dict()["abstain"]


def test_out_of_fold_probabilities_do_not_depend_on_the_number_of_processes(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    rows: list[dict[str, object]] = []
    for i, thing in enumerate(["parcel", "package", "택배", "box", "delivery", "배송", "shipment", "order"]):
        rows.append({"text": f"where is my {thing} {i}", "tags": ["shipping"], "lang": "en"})
        rows.append({"text": f"I want a refund for the {thing} {i}", "tags": ["refund"], "lang": "en"})
        rows.append({"text": f"the {thing} {i} is late and I want my money back", "tags": ["shipping", "refund"],
                     "lang": "en"})
    dataset = _dataset(tmp_path, rows, target="tags", labels=("shipping", "refund"), kind="ovr",
                       training=Training(min_df=1, epochs=10, folds=3))
    examples = load_examples(dataset)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    parallel = out_of_fold(dataset, examples, dataset.training)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert out_of_fold(dataset, examples, dataset.training) == parallel
    assert sorted(e.id for e, _ in parallel) == sorted(e.id for e in examples)


def test_a_no_label_column_is_learnt_never_returned_and_keeps_a_greeting_untagged(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = []
    for i, thing in enumerate(["parcel", "package", "box", "delivery", "shipment", "order"]):
        rows.append({"text": f"where is my {thing} {i}", "tags": ["shipping"], "lang": "en"})
        rows.append({"text": f"I want a refund for the {thing} {i}", "tags": ["refund"], "lang": "en"})
    for text in ["hi", "hello", "thanks", "thank you", "ok thanks", "hi there", "hello again", "ok",
                 "thanks again", "ok cool"]:
        rows.append({"text": text, "tags": [], "lang": "en"})
    dataset = _dataset(tmp_path, rows, target="tags", labels=("shipping", "refund"), kind="ovr",
                       training=Training(min_df=1, epochs=40), no_label=True)
    model = fit(dataset, load_examples(dataset), acceptance=Acceptance(threshold=0.9, fallback=0.0,
                                                                       no_label_below=0.5))
    assert model.no_label and len(model.bias) == 3
    assert all(len(row) == 3 for row in model.weights.values())
    greeting = model.predict_multi("hi thanks")
    assert greeting.no_label is not None and greeting.no_label >= 0.5
    assert greeting.labels == ()  # the fallback would give it its least unlikely label
    assert set(greeting.scores) == {"shipping", "refund"}  # the no-label column is never a label
    assert model.predict("hi thanks").best in ("shipping", "refund")
    request = model.predict_multi("my parcel")
    assert request.no_label is not None and request.no_label < 0.5
    assert request.labels == ("shipping",)
    assert model.predict_multi("hi thanks", threshold=0.0).labels != ()  # only the model's own rule vetoes
    assert replace(model, no_label_below=None).predict_multi("hi thanks").labels != ()
    again = Model.from_dict(json.loads(json.dumps(model.to_dict())))
    assert (again.no_label, again.no_label_below) == (True, 0.5)
    assert again.predict_multi("hi thanks").labels == () and again.predict_multi("my parcel").labels == ("shipping",)
    # Out-of-fold probabilities carry the column under NO_LABEL, and the acceptance rule reads it alike.
    probs = {**greeting.scores, NO_LABEL: greeting.no_label}
    assert Acceptance(threshold=0.9, fallback=0.0, no_label_below=0.5).labels(probs) == ()
    assert Acceptance(threshold=0.9, fallback=0.0).labels(probs) == (greeting.best,)


def test_a_model_file_without_a_no_label_column_still_reads(tmp_path: Path) -> None:
    """The intents' file predates the column: it reads as a model without one, and writes back the same."""
    data = json.loads(INTENTS.model_path.read_text(encoding="utf-8"))
    assert "no_label" not in data
    model = Model.from_dict(data)
    assert (model.no_label, model.no_label_below) == (False, None)
    assert model.to_dict() == data
    assert model.predict("cancel my order please").no_label is None
    with pytest.raises(ValueError, match="one-vs-rest"):
        Model.from_dict({**data, "no_label": True})
    with pytest.raises(ValueError, match="one-vs-rest"):
        fit(replace(_dataset(tmp_path, [{"text": "x y", "intent": "a", "lang": "en"}]), no_label=True),
            [])
