"""`skill_intent_*` figures of `make bench`: the order skill's intent model as shipped in the layer
(helpdesk/models/intents.json), on the held-out split its trainer recorded in the file's metadata.
Nothing is trained here; a labelled set changed since training is refused (retrain first).

- skill_intent_accuracy, _en, _ko, _mixed: the share of held-out messages whose decided intent is the
  labelled one; an abstention decides `other` (the skill hands the message to a human), as the skill
  does (helpdesk.skills.order_editing.intent_of). Goal: at least 0.95 each for en and ko.
- skill_intent_abstain_rate: the share of held-out messages the model abstained on (information).
- skill_intent_ms: mean in-process time of one `Model.predict`, warm, over the held-out messages.
- intent_model_kb: the model file's size; intent_model_load_ms: reading and parsing it (a cold start).

`python -m tests.bench.skill` runs it alone (no AWS, no server).
"""
from __future__ import annotations

import gc
import statistics
import time

ROUNDS = 20


def measure() -> dict[str, float]:
    from helpdesk.textclass import Model
    from infra.train_textclass import DATASETS, accuracy, heldout_examples

    dataset = DATASETS["intents"]
    loads = []
    for _ in range(5):
        started = time.perf_counter()
        model = Model.load(dataset.model_path)
        loads.append(time.perf_counter() - started)
    held = heldout_examples(model, dataset)
    scores = accuracy(model, held)
    texts = [e.text for e in held]
    abstained = sum(model.predict(text).abstained for text in texts)  # also the warm-up
    gc.disable()
    try:
        started = time.perf_counter()
        for _ in range(ROUNDS):
            for text in texts:
                model.predict(text)
        per_message = (time.perf_counter() - started) / (ROUNDS * len(texts))
    finally:
        gc.enable()
    return {"skill_intent_accuracy": scores["all"], "skill_intent_accuracy_en": scores["en"],
            "skill_intent_accuracy_ko": scores["ko"], "skill_intent_accuracy_mixed": scores["mixed"],
            "skill_intent_abstain_rate": abstained / len(texts), "skill_intent_ms": per_message * 1000,
            "intent_model_kb": dataset.model_path.stat().st_size / 1024,
            "intent_model_load_ms": statistics.median(loads) * 1000}


def main() -> None:
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sys.path[:0] = [p for p in (str(root), str(root / "layers")) if p not in sys.path]
    from tests.bench.bench import emit

    for name, value in measure().items():
        emit(name, value)


if __name__ == "__main__":
    main()
