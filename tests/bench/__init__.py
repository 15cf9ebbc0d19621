"""`make bench`: the hot-path figures of ARCHITECTURE §4 (see tests/bench/bench.py)."""
