"""What the bench scripts share: the generated people's names, their child runs, their database.

Each bench runs as a script, so this sibling module is on its path.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"

SURNAMES = [
    "Αθανασίου",
    "Βασιλείου",
    "Γεωργακόπουλος",
    "Δημάκης",
    "Ευαγγέλου",
    "Ζαχαρίου",
    "Ηλιόπουλος",
    "Θεοδώρου",
    "Ιωαννίδης",
    "Καραγιάννης",
    "Λαμπρόπουλος",
    "Μαυρίδης",
    "Νικολαΐδης",
    "Ξενάκης",
    "Οικονόμου",
    "Πετρόπουλος",
    "Ρηγόπουλος",
    "Σπυρόπουλος",
    "Τσακίρης",
    "Υφαντής",
    "Φωτόπουλος",
    "Χατζηδάκης",
    "Ψαρράς",
    "Ωραιόπουλος",
    "Μπαλτάς",
    "Ντόκος",
    "Γκίκας",
    "Αγγελόπουλος",
    "Ευθυμίου",
    "Κουτσούκος",
]
GIVEN = [
    "Αλέξανδρος",
    "Βασιλική",
    "Γιάννης",
    "Δέσποινα",
    "Ελευθερία",
    "Ζωή",
    "Ηλίας",
    "Θεοδώρα",
    "Ιάσονας",
    "Κωνσταντίνα",
    "Λευτέρης",
    "Μαρίνα",
    "Νεφέλη",
    "Ορέστης",
]


def run_child(script: str, measure: str, path: Path, env: dict) -> dict:
    """Run `script --child MEASURE FILE` in a fresh process; its last line is its JSON."""
    output = subprocess.run(
        [sys.executable, script, "--child", measure, str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if output.returncode != 0:
        raise SystemExit(f"{measure} failed:\n{output.stderr[-4000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def postgres(database: str, action: str) -> bool:
    """Drop `database` on the local PostgreSQL and, for "create", create it afresh."""
    try:
        import psycopg
    except ImportError:
        return False
    try:
        with psycopg.connect(
            PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True, connect_timeout=3
        ) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            if action == "create":
                conn.execute(f"CREATE DATABASE {database}")
    except psycopg.OperationalError:
        return False
    return True
