"""Short bounded fuzz runs (hypothesis): a few hundred inputs per target, the same targets as the
long runs of ``make fuzz`` (fuzz/targets.py, docs/hardening.md).

Inputs are raw bytes, or a seed of the target's format with stacked mutations (each a mutation
operator and the seed of its random choices, so that hypothesis can shrink a failing list). The
property: the input is read, or refused with a documented ``GkError``; any other exception
escaping the public API fails the test (and the digit-run splitter's own properties must hold).
"""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "fuzz"))

import mutate  # noqa: E402
import targets as T  # noqa: E402

# PIL warns about every corrupt TIFF tag it skips
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

EXAMPLES = {"pdf": 150, "html": 200, "text": 150, "image": 250, "digitruns": 60}


def inputs(name: str):
    target = T.TARGETS[name]
    seeds = target.seeds()

    def apply(seed_index, ops):
        d = bytearray(seeds[seed_index])
        for op, s in ops:
            mutate.OPS[op](d, random.Random(s), target.tokens, seeds)
        return bytes(d)

    mutated = st.builds(apply, st.integers(0, len(seeds) - 1),
                        st.lists(st.tuples(st.integers(0, len(mutate.OPS) - 1),
                                           st.integers(0, 2**32)), max_size=6))
    return st.one_of(mutated, mutated, mutated, st.binary(max_size=2048))


@pytest.fixture(scope="module")
def tmp():
    with tempfile.TemporaryDirectory(prefix="gk-fuzz-test-") as d:
        yield Path(d)


def _check(name: str, data: bytes, tmp: Path) -> None:
    verdict, details = T.run_one(T.TARGETS[name], data, tmp)
    assert verdict != "crash", details


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_fuzz_target_never_crashes(name, tmp):
    @settings(max_examples=EXAMPLES[name], deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(inputs(name))
    def run(data):
        _check(name, data, tmp)

    run()


def test_a_target_lets_foreign_exceptions_out(tmp, monkeypatch):
    """The harness can fail: an exception that is not a GkError is a crash verdict."""
    import extract.pipeline as pipeline

    def broken(path, options):
        raise RuntimeError("boom")

    monkeypatch.setitem(pipeline.INGESTERS, "html", "test_fuzz:_broken_ingester")
    monkeypatch.setattr(sys.modules[__name__], "_broken_ingester", broken, raising=False)
    verdict, details = T.run_one(T.TARGETS["html"], b"<html><table></table></html>", tmp)
    assert verdict == "crash" and "RuntimeError: boom" in details


def test_an_own_bug_translated_to_an_input_error_is_reported_as_masked(tmp, monkeypatch):
    import extract.web as web
    from extract import spec

    def buggy(text, path):
        return spec.field_label("no.such.key")   # a KeyError raised inside extract/

    monkeypatch.setattr(web, "parse_html", buggy)
    verdict, details = T.run_one(T.TARGETS["html"], b"<html><table></table></html>", tmp)
    assert verdict == "InputFileError" and "KeyError" in details


def test_mutations_are_deterministic_per_run_seed_and_index():
    t = T.TARGETS["html"]
    seeds = t.seeds()
    a = [mutate.input_for(seeds, t.tokens, 7, i, "html") for i in range(30)]
    assert a == [mutate.input_for(seeds, t.tokens, 7, i, "html") for i in range(30)]
    assert a[: len(seeds)] == seeds and len(set(a)) > 20
