"""Rebuild this corpus from the readers' repositories (bare git mirrors).

    python tests/data/hostile/collect.py /path/to/mirrors

Each SOURCE is a bare git directory named owner+name/repo under the mirrors
path. Files are taken at the mirror's HEAD, deduplicated by content, and
written with MANIFEST.tsv (file, sha256, bytes, repository, path, commit,
licence). The selection rule is in README.md.
"""

import hashlib
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
EXTENSIONS = re.compile(r"\.(xlsx|xlsm|xltx|xltm|xlam|xls|xlsb|ods|ots|fods|csv)$", re.I)
# SheetJS keeps each converted sheet as NAME.EXT.N.csv: outputs, not test inputs.
DERIVED = re.compile(r"\.\w+\.\d+\.csv$", re.I)
HOSTILE = re.compile(r"crash|fuzz|oom|corrupt|invalid|bad|bomb|poc|malformed|truncat|damage", re.I)
MAX_BYTES = 200_000
# SheetJS's derivative files keep their origin's terms: leave out the non-permissive ones.
NOT_PERMISSIVE = re.compile(r"(^|/)(jxls|libreoffice|excel-reader-xlsx|pyExcelerator|ootest)", re.I)

SOURCES = [
    # (short name, owner/name, folders taken, licence)
    ("calamine", "tafia/calamine", ("tests/",), "MIT"),
    ("python-calamine", "dimastbk/python-calamine", ("tests/",), "MIT"),
    ("xlrd", "python-excel/xlrd", ("tests/",), "BSD-style (xlrd's LICENSE)"),
    ("poi", "apache/poi", ("test-data/",), "Apache-2.0"),
    ("sheetjs", "SheetJS/test_files", ("",), "Apache-2.0"),
]
# Each source's licence (and notice) files, copied to licences/<short>-<name>.
LICENCE_FILES = {
    "calamine": ("LICENSE-MIT.md",),
    "python-calamine": ("LICENSE",),
    "xlrd": ("LICENSE",),
    "poi": ("legal/LICENSE", "legal/NOTICE"),
    "sheetjs": ("LICENSE",),
}


def git(gitdir: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", f"--git-dir={gitdir}", *args], check=True, capture_output=True
    ).stdout


def main(mirrors: Path) -> None:
    seen: set[str] = set()
    lines = ["file\tsha256\tbytes\trepository\tpath\tcommit\tlicence"]
    total = 0
    for short, repo, folders, licence in SOURCES:
        gitdir = mirrors / repo.replace("/", "+") / "repo"
        commit = git(gitdir, "rev-parse", "HEAD").decode().strip()
        for licence_path in LICENCE_FILES[short]:
            target = HERE / "licences" / f"{short}-{licence_path.replace('/', '-')}"
            target.parent.mkdir(exist_ok=True)
            target.write_bytes(git(gitdir, "show", f"HEAD:{licence_path}"))
        listing = git(gitdir, "ls-tree", "-r", "-l", "HEAD").decode()
        for line in listing.splitlines():
            meta, path = line.split("\t", 1)
            _, kind, blob, size = meta.split()
            if not size.isdigit():
                continue  # absent from the mirror
            if kind != "blob" or not path.startswith(folders) or not EXTENSIONS.search(path):
                continue
            if DERIVED.search(path) or NOT_PERMISSIVE.search(path) or blob in seen:
                continue
            if int(size) > MAX_BYTES and not HOSTILE.search(path):
                continue
            seen.add(blob)
            data = git(gitdir, "cat-file", "blob", blob)
            name = f"{short}/{path}"
            target = HERE / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            total += len(data)
            digest = hashlib.sha256(data).hexdigest()
            lines.append(f"{name}\t{digest}\t{len(data)}\t{repo}\t{path}\t{commit}\t{licence}")
    (HERE / "MANIFEST.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines) - 1} files, {total / 1e6:.1f} MB")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
