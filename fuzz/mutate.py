"""Byte mutations for the fuzz targets: deterministic from a seed, structure-blind but fed with
each format's own tokens (a PDF's ``/Count``, an HTML ``rowspan``...), so that mutated inputs get
past the first parser check often enough to reach the code behind it.

``mutate(data, rng, tokens, others)`` applies 1-8 stacked operations: flip bits, overwrite bytes,
insert or delete a range, duplicate a range, truncate, splice in a piece of another seed, insert
a token, repeat a token many times. ``input_for(target, seed, index)`` is the input number
``index`` of a run: the same run seed gives the same inputs, so a finding is reproduced from its
index alone (fuzz/run.py also saves its bytes).
"""

from __future__ import annotations

import random

INTERESTING_NUMBERS = [b"0", b"-1", b"1", b"65535", b"2147483647", b"4294967296",
                       b"99999999999999999999", b"1e308", b"-0", b"NaN", b"0.0000001"]


def _op_flip(d: bytearray, rng: random.Random, tokens, others):
    if d:
        i = rng.randrange(len(d))
        d[i] ^= 1 << rng.randrange(8)


def _op_byte(d, rng, tokens, others):
    if d:
        d[rng.randrange(len(d))] = rng.choice((0, 0xFF, 0x7F, 0x80, rng.randrange(256)))


def _op_insert(d, rng, tokens, others):
    i = rng.randrange(len(d) + 1)
    d[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))


def _op_delete(d, rng, tokens, others):
    if d:
        i = rng.randrange(len(d))
        del d[i:i + rng.randint(1, max(1, min(len(d) // 4, 4096)))]


def _op_duplicate(d, rng, tokens, others):
    if d:
        i = rng.randrange(len(d))
        n = rng.randint(1, max(1, min(len(d) - i, 2048)))
        j = rng.randrange(len(d) + 1)
        d[j:j] = d[i:i + n] * rng.choice((1, 1, 2, 8))


def _op_truncate(d, rng, tokens, others):
    if d:
        del d[rng.randrange(len(d)):]


def _op_splice(d, rng, tokens, others):
    if others:
        o = rng.choice(others)
        if o:
            i = rng.randrange(len(o))
            piece = o[i:i + rng.randint(1, 4096)]
            j = rng.randrange(len(d) + 1)
            d[j:j + rng.randint(0, 64)] = piece


def _op_token(d, rng, tokens, others):
    t = rng.choice(tokens) if tokens else b""
    if rng.random() < 0.3:
        t = t + rng.choice(INTERESTING_NUMBERS)
    j = rng.randrange(len(d) + 1)
    d[j:j] = t


def _op_number(d, rng, tokens, others):
    """Replace a run of ASCII digits with an interesting number."""
    if not d:
        return
    i = rng.randrange(len(d))
    for k in range(i, min(len(d), i + 256)):
        if 48 <= d[k] <= 57:
            e = k
            while e < len(d) and 48 <= d[e] <= 57:
                e += 1
            d[k:e] = rng.choice(INTERESTING_NUMBERS)
            return


def _op_repeat_token(d, rng, tokens, others):
    t = rng.choice(tokens) if tokens else b"\x00"
    j = rng.randrange(len(d) + 1)
    d[j:j] = t * rng.choice((16, 256, 4096))


OPS = [_op_flip, _op_byte, _op_insert, _op_delete, _op_duplicate, _op_truncate, _op_splice,
       _op_token, _op_number, _op_repeat_token]
WEIGHTS = [3, 3, 2, 2, 2, 1, 2, 4, 3, 1]


def mutate(data: bytes, rng: random.Random, tokens: list[bytes] = (),
           others: list[bytes] = ()) -> bytes:
    d = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 2, 3, 4, 8))):
        rng.choices(OPS, WEIGHTS)[0](d, rng, tokens, others)
    return bytes(d)


def input_for(seeds: list[bytes], tokens: list[bytes], run_seed: int, index: int,
              name: str) -> bytes:
    """Input ``index`` of a run: a seed as it is (the first ``len(seeds)`` indexes), then
    mutations of a seed (95 %) or random bytes (5 %)."""
    if index < len(seeds):
        return seeds[index]
    rng = random.Random(f"{name}:{run_seed}:{index}")
    if rng.random() < 0.05:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 2048)))
    return mutate(rng.choice(seeds), rng, tokens, seeds)
