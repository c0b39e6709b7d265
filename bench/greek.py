"""Benchmark of the Greek text toolkit (kleidi.text).

    uv run python bench/greek.py [--names 100000] [--seed 743]

Generates seeded random Greek full names from kleidi.text.names (5% with a
compound surname), then times
transliterate, match_key and username_contains_surname over all of them
(target: <= 1 s each for 100,000 names), the strength estimate on random
passwords of 10, 100, 1,000 and 4,096 characters (target: p99 <= 50 ms), and
on what members type: seeded passphrases of four random words and a member's
name with digits, counted against that member's data.
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import time
from collections.abc import Callable, Iterable

from zxcvbn.frequency_lists import FREQUENCY_LISTS

from kleidi import text as greek
from kleidi.text import surname
from kleidi.text.dictionaries import load
from kleidi.text.names import (
    FEMALE_GIVEN_NAMES,
    FEMALE_SURNAMES,
    MALE_GIVEN_NAMES,
    MALE_SURNAMES,
)
from kleidi.text.strength import estimate

PASSWORD_SIZES = (10, 100, 1000, 4096)
PASSWORD_ALPHABET = (
    string.ascii_letters + string.digits + string.punctuation + " αβγδεζηθικλμνξοπρστυφχψωάέήίόύώ"
)


#: Share of compound (double-barrelled) surnames; uncommon in Greece.
COMPOUND_SHARE = 0.05


def full_names(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(given name, surname) pairs, some with compound surnames."""
    names = []
    for _ in range(count):
        female = rng.random() < 0.5
        given = rng.choice(FEMALE_GIVEN_NAMES if female else MALE_GIVEN_NAMES)
        surnames = FEMALE_SURNAMES if female else MALE_SURNAMES
        surname = rng.choice(surnames)
        if rng.random() < COMPOUND_SHARE:
            surname += "-" + rng.choice(surnames)
        names.append((given, surname))
    return names


def timed(function: Callable[[object], object], items: Iterable[object]) -> float:
    started = time.perf_counter()
    for item in items:
        function(item)
    return time.perf_counter() - started


def name_rows(count: int, seed: int) -> list[tuple[str, float, float]]:
    """(operation, total seconds, µs per name)."""
    names = full_names(count, random.Random(seed))
    texts = [f"{given} {surname}" for given, surname in names]
    usernames = [greek.username_form(g)[:1] + greek.username_form(s) for g, s in names]
    pairs = list(zip(usernames, (s for _, s in names), strict=True))

    def contains(pair):
        return greek.username_contains_surname(*pair)

    def contains_cold(pair):
        surname._surname_regex.cache_clear()
        return greek.username_contains_surname(*pair)

    rows = [
        ("transliterate", timed(greek.transliterate, texts)),
        ("match_key", timed(greek.match_key, texts)),
        ("username_form", timed(greek.username_form, texts)),
        ("username_contains_surname", timed(contains, pairs)),
        ("  same, surname cache cleared", timed(contains_cold, pairs)),
        ("lookalikes", timed(greek.lookalikes, texts)),
    ]
    return [(label, seconds, seconds / count * 1e6) for label, seconds in rows]


def estimate_rows(samples: int, seed: int) -> list[tuple[int, float, float, float]]:
    """(size, p50 ms, p99 ms, max ms) of estimate() on random passwords."""
    rng = random.Random(seed)
    inputs = ["Γιώργος", "Παπαδόπουλος", "gpapadopoulos", "el18123", "g.papa@example.com"]
    estimate("warm-up: loads the dictionaries once", inputs)
    rows = []
    for size in PASSWORD_SIZES:
        durations = []
        for _ in range(samples):
            password = "".join(rng.choice(PASSWORD_ALPHABET) for _ in range(size))
            started = time.perf_counter()
            estimate(password, inputs)
            durations.append((time.perf_counter() - started) * 1e3)
        durations.sort()
        p99 = durations[min(len(durations) - 1, round(0.99 * len(durations)))]
        rows.append((size, statistics.median(durations), p99, durations[-1]))
    return rows


def _timed_estimates(cases: list[tuple[str, list[str]]]) -> tuple[float, float, float]:
    """(p50, p99, max) ms of estimate(password, inputs) over the cases."""
    durations = []
    for password, inputs in cases:
        started = time.perf_counter()
        estimate(password, inputs)
        durations.append((time.perf_counter() - started) * 1e3)
    durations.sort()
    p99 = durations[min(len(durations) - 1, round(0.99 * len(durations)))]
    return statistics.median(durations), p99, durations[-1]


def typed_rows(samples: int, seed: int) -> list[tuple[str, float, float, float]]:
    """(kind, p50 ms, p99 ms, max ms) of estimate() on what members type."""
    rng = random.Random(seed)
    english = FREQUENCY_LISTS["english_wikipedia"]
    greeklish = [w for w in load()["greek_words"] if w.isascii()]
    member = ["Γιώργος", "Παπαδόπουλος", "gpapadopoulos", "el18123", "g.papa@example.com"]
    estimate("warm-up", member)

    def words(source: list[str]) -> list[tuple[str, list[str]]]:
        return [(" ".join(rng.choice(source) for _ in range(4)), member) for _ in range(samples)]

    own_names = [
        (f"{greek.transliterate(g)} {greek.transliterate(s)} {rng.randrange(10)}", [g, s])
        for g, s in full_names(samples, rng)
    ]
    kinds = {
        "4 English words": words(english),
        "4 greeklish words": words(greeklish),
        "own name + digit": own_names,
    }
    return [(kind, *_timed_estimates(cases)) for kind, cases in kinds.items()]


BAD_INPUT = "Παπαδόπουλος Ευάγγελος \u200f\x00😀 ΘΕΟΔΩΡΟΣ μπ "


def bad_input_rows() -> list[tuple[str, float, float]]:
    """(function, s for 1 MB, s for 10 MB) of hostile text: linear means about 10x."""
    functions = {
        "transliterate": greek.transliterate,
        "match_key": greek.match_key,
        "username_form": greek.username_form,
        "contains_surname": lambda text: greek.username_contains_surname("papadopoulos", text),
        "estimate": lambda text: estimate(text, [text]),
        "lookalikes": greek.lookalikes,
    }
    texts = [(BAD_INPUT * (size // len(BAD_INPUT) + 1))[:size] for size in (1_000_000, 10_000_000)]
    rows = []
    for label, function in functions.items():
        function(BAD_INPUT)  # warm-up: dictionaries and patterns load once
        seconds = []
        for text in texts:
            runs = []
            for _ in range(3):
                started = time.perf_counter()
                function(text)
                runs.append(time.perf_counter() - started)
            seconds.append(min(runs))
        rows.append((label, *seconds))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=500, help="passwords per size")
    parser.add_argument("--seed", type=int, default=743)
    args = parser.parse_args()

    print(f"{args.names:,} Greek full names (seed {args.seed})")
    print(f"{'operation':<28}{'total s':>10}{'µs/name':>10}")
    for label, seconds, per_name in name_rows(args.names, args.seed):
        print(f"{label:<28}{seconds:>10.3f}{per_name:>10.2f}")
    print()
    print(f"estimate(), {args.samples} random passwords per size (first 100 chars estimated)")
    print(f"{'chars':>6}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for size, p50, p99, worst in estimate_rows(args.samples, args.seed):
        print(f"{size:>6}{p50:>10.2f}{p99:>10.2f}{worst:>10.2f}")
    print()
    print(f"estimate(), {args.samples} typed passwords per kind")
    print(f"{'kind':<20}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for kind, p50, p99, worst in typed_rows(args.samples, args.seed):
        print(f"{kind:<20}{p50:>10.2f}{p99:>10.2f}{worst:>10.2f}")
    print()
    print("hostile text (emoji, controls, bidi marks): 1 MB against 10 MB")
    print(f"{'function':<20}{'1 MB s':>10}{'10 MB s':>10}{'ratio':>8}")
    for label, small, large in bad_input_rows():
        print(f"{label:<20}{small:>10.3f}{large:>10.3f}{large / small:>8.1f}")


if __name__ == "__main__":
    main()
