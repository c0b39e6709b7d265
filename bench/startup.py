"""How long `kleidi` takes to start, against Django without Kleidi.

    uv run python bench/startup.py [--runs 20]

Runs, alternately so that a machine's changing load hits all alike:
`kleidi help`; `manage.py help` of a project fresh from `django-admin
startproject` (Django's default apps: admin, auth, contenttypes, sessions,
messages, staticfiles), the baseline of the 1.2x target; and `django-admin
help` with no settings at all, which sets up no app. Prints the median wall
time and the median CPU time (user + system) of each, and each one's ratio to
the baseline. CPU time moves less than wall time on a loaded machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def timed(command: list[str], env: dict) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env["KLEIDI_VAR_DIR"] = tmp
        subprocess.run([str(BIN / "django-admin"), "startproject", "bare", tmp], check=True)
        commands = {
            "kleidi help": [str(BIN / "kleidi"), "help"],
            "startproject manage.py help": [sys.executable, str(Path(tmp) / "manage.py"), "help"],
            "django-admin help (no settings)": [str(BIN / "django-admin"), "help"],
        }
        for command in commands.values():  # warm the bytecode caches
            timed(command, env)
        samples = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                samples[name].append(timed(command, env))
    base_wall = statistics.median(w for w, _ in samples["startproject manage.py help"])
    base_cpu = statistics.median(c for _, c in samples["startproject manage.py help"])
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs, {args.runs} runs each")
    for name, runs in samples.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(
            f"{name:34} wall {wall:6.3f} s ({wall / base_wall:4.2f}x)"
            f"   cpu {cpu:6.3f} s ({cpu / base_cpu:4.2f}x)"
        )


if __name__ == "__main__":
    main()
