"""`autotag_*` figures of `make bench`: the auto-tagger (helpdesk.autotag.suggest, SPEC §5) with its
model as shipped in the layer (helpdesk/models/tags.json), on the held-out split its trainer recorded
in the file's metadata. Nothing is trained here; a labelled set changed since training is refused
(retrain first).

- autotag_macro_f1, _en, _ko, _mixed: macro F1 over the 14 tags of the tags `suggest` returns against
  the labelled ones (a tag neither labelled nor suggested in a language's messages is left out of
  that language's mean). Goal: at least 0.9 each for en and ko. autotag_micro_f1: every decision pooled.
- autotag_ms_per_message: mean in-process time of one `suggest` (quote stripping included), warm.
- autotag_model_kb: the model file's size; autotag_model_load_ms: reading and parsing it (a cold start).
- layer_mb: what the domain layer holds (infra/build.py: the third-party packages requirements.txt
  installs, their dependencies included, and layers/helpdesk), summed file by file. The packages are
  measured as installed in this environment (a `--no-layer-deps` build has none), with the bytecode
  pip compiled for them (the build compiles the layer too); console scripts are left out, as the build
  removes them. layers/helpdesk is counted as source (the build adds its bytecode). Goal: at most 50.

`python -m tests.bench.autotag` runs it alone (no AWS, no server).
"""
from __future__ import annotations

import gc
import re
import statistics
import sys
import time
from importlib import metadata
from pathlib import Path, PurePosixPath

ROUNDS = 20
ROOT = Path(__file__).resolve().parents[2]


def measure() -> dict[str, float]:
    from helpdesk import autotag
    from helpdesk.textclass import Model, shipped
    from infra.train_textclass import DATASETS, f1, heldout_examples

    dataset = DATASETS["tags"]
    loads = []
    for _ in range(5):
        started = time.perf_counter()
        model = Model.load(dataset.model_path)
        loads.append(time.perf_counter() - started)
    held = heldout_examples(model, dataset)
    if shipped(autotag.MODEL).meta["data_sha256"] != model.meta["data_sha256"]:
        raise RuntimeError("helpdesk.autotag reads another model than the dataset's")
    suggested = [{tag for tag, _ in autotag.suggest(e.text)} for e in held]  # also the warm-up
    scores = {lang: f1(((e.labels, got) for e, got in zip(held, suggested, strict=True) if lang in ("all", e.lang)),
                       dataset.labels) for lang in ("all", "en", "ko", "mixed")}
    texts = [e.text for e in held]
    gc.disable()
    try:
        started = time.perf_counter()
        for _ in range(ROUNDS):
            for text in texts:
                autotag.suggest(text)
        per_message = (time.perf_counter() - started) / (ROUNDS * len(texts))
    finally:
        gc.enable()
    return {"autotag_macro_f1": scores["all"].macro, "autotag_macro_f1_en": scores["en"].macro,
            "autotag_macro_f1_ko": scores["ko"].macro, "autotag_macro_f1_mixed": scores["mixed"].macro,
            "autotag_micro_f1": scores["all"].micro, "autotag_ms_per_message": per_message * 1000,
            "autotag_model_kb": dataset.model_path.stat().st_size / 1024,
            "autotag_model_load_ms": statistics.median(loads) * 1000, "layer_mb": layer_mb()}


# --- the layer's size --------------------------------------------------------------------------------


def _requirements(path: Path) -> list[str]:
    """The requirement lines of a requirements file, comments and blanks dropped."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("-")]


def layer_distributions(requirements: Path = ROOT / "requirements.txt") -> dict[str, metadata.Distribution]:
    """The installed distributions pip puts in the layer for these requirements: each named one and,
    recursively, what it requires for the extras asked of it on this interpreter."""
    from packaging.requirements import Requirement

    found: dict[str, metadata.Distribution] = {}
    pending = [(Requirement(line), frozenset(Requirement(line).extras)) for line in _requirements(requirements)]
    seen_extras: dict[str, frozenset[str]] = {}
    while pending:
        requirement, extras = pending.pop()
        key = re.sub(r"[-_.]+", "-", requirement.name).lower()
        if key in found and extras <= seen_extras[key]:
            continue
        distribution = found.get(key) or metadata.distribution(requirement.name)
        found[key] = distribution
        seen_extras[key] = seen_extras.get(key, frozenset()) | extras
        for line in distribution.requires or ():
            nested = Requirement(line)
            if nested.marker is None or any(nested.marker.evaluate({"extra": extra}) for extra in ("", *extras)):
                pending.append((nested, frozenset(nested.extras)))
    return found


def layer_mb() -> float:
    """Bytes of the layer's third-party packages as installed here plus layers/helpdesk, in MB (10^6)."""
    from infra.build import layer_keeps

    total = 0
    for distribution in layer_distributions().values():
        for file in distribution.files or ():
            if file.parts and file.parts[0] == "..":  # console scripts in bin/: not shipped
                continue
            if not layer_keeps(PurePosixPath(str(file))):  # pruned by the build (unused services' models)
                continue
            path = Path(str(distribution.locate_file(file)))
            if path.is_file():
                total += path.stat().st_size
    helpdesk = ROOT / "layers" / "helpdesk"
    total += sum(p.stat().st_size for p in helpdesk.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return total / 1e6


def main() -> None:
    sys.path[:0] = [p for p in (str(ROOT), str(ROOT / "layers")) if p not in sys.path]
    from tests.bench.bench import emit

    for name, value in measure().items():
        emit(name, value)


if __name__ == "__main__":
    main()
