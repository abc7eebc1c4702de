"""Check a built sdist's file list against the allowlist: what pyproject.toml's
`[tool.hatch.build.targets.sdist]` means to ship, and nothing a tool left behind.

    python .ci/check_sdist.py dist/phoson_sdk-0.1.0.tar.gz

Every file must sit under an allowed directory or be an allowed top-level file, and no path
may have a part that is a cache or a hidden directory (`.schemathesis/`, `.hypothesis/`,
`__pycache__/`, `*.pyc`, ...). The files every sdist needs must be there. Exit 1 with the
offending paths otherwise.
"""

from __future__ import annotations

import sys
import tarfile
from pathlib import PurePosixPath

#: Directories whose files ship (below them, any file that is not a cache).
ALLOWED_DIRECTORIES = ("phoson", "tests", "docs", "examples", "bench", ".ci")
#: Top-level files that ship (PKG-INFO is the build backend's).
ALLOWED_FILES = (
    "PKG-INFO",
    "pyproject.toml",
    "README.md",
    "CHANGELOG.md",
    "LICENSE",
    "uv.lock",
    "mypy.ini",
    "build_sync.py",
    ".python-version",
    ".gitignore",
)
#: Files an sdist of this project cannot do without.
REQUIRED = (
    "PKG-INFO",
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "phoson/__init__.py",
    "phoson/py.typed",
    "tests/conftest.py",
)
#: Path parts that mark a cache or build leftover, wherever they appear.
FORBIDDEN_PARTS = ("__pycache__", "node_modules")
FORBIDDEN_SUFFIXES = (".pyc", ".pyo", ".egg-info", ".tmp")


def problems(names: list[str]) -> list[str]:
    """What is wrong with an sdist holding `names` (paths below its top directory)."""
    found = []
    for name in names:
        path = PurePosixPath(name)
        parts = path.parts
        if len(parts) == 1:
            allowed = name in ALLOWED_FILES
        else:
            allowed = parts[0] in ALLOWED_DIRECTORIES and not any(
                part.startswith(".") or part in FORBIDDEN_PARTS for part in parts[1:]
            )
        if not allowed or any(name.endswith(suffix) for suffix in FORBIDDEN_SUFFIXES):
            found.append(f"not allowed: {name}")
    found += [f"missing: {name}" for name in REQUIRED if name not in names]
    return found


def file_list(sdist: str) -> list[str]:
    """The regular files of the sdist, without its top directory (`phoson_sdk-0.1.0/`)."""
    with tarfile.open(sdist) as archive:
        return [
            member.name.split("/", 1)[1]
            for member in archive.getmembers()
            if member.isfile() and "/" in member.name
        ]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python .ci/check_sdist.py SDIST.tar.gz", file=sys.stderr)
        return 2
    names = file_list(argv[0])
    wrong = problems(names)
    for line in wrong:
        print(line, file=sys.stderr)
    if not wrong:
        print(f"{argv[0]}: {len(names)} files, all allowed")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
