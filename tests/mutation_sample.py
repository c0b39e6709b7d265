"""Print a fixed-seed sample of mutmut's mutant names, per module group (docs/testing.md).

Run after mutmut has generated the mutants (`mutants/src/**/*.py.meta`):
    uv run --group mutation nice -n 10 mutmut run --max-children 2 \
        $(python3 tests/mutation_sample.py)
"""

import json
import random
import sys
from pathlib import Path

# Module prefix -> how many of its mutants the sample takes ("text": the six
# modules greek.py was split into, as [tool.mutmut] names them).
GROUPS = {"text": 25, "people.validation": 25, "accounts": 30, "credentials": 40}
SEED = 9


def main() -> None:
    names: dict[str, list[str]] = {group: [] for group in GROUPS}
    for meta in Path("mutants/src/kleidi").rglob("*.py.meta"):
        for name in json.loads(meta.read_text())["exit_code_by_key"]:
            for group in GROUPS:
                if name.startswith(f"kleidi.{group}."):
                    names[group].append(name)
    rng = random.Random(SEED)
    for group, size in GROUPS.items():
        pool = sorted(names[group])
        print(f"{group}: {min(size, len(pool))} of {len(pool)}", file=sys.stderr)
        print("\n".join(rng.sample(pool, min(size, len(pool)))))


if __name__ == "__main__":
    main()
