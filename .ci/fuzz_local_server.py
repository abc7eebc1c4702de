"""Fuzz phoson.testing.LocalPhosonServer from docs/openapi.json with schemathesis.

Run by .ci/run (its own section): `uv run --group fuzz python .ci/fuzz_local_server.py`. Every
check but two is on (no 5xx, no dropped connection, every status, header, body and stream event
as documented, unknown methods 405, auth enforced), with the stateful phase following the document's links (create, then get,
update, delete what was created). Examples per operation are chosen to finish in about a minute
on a 2-core machine; a fixed seed makes a failure reproducible (pass another to explore).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from phoson.testing import LocalPhosonServer

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "pk_fuzz"
MAX_EXAMPLES = 30
SEED = 20261128


def main(argv: list[str]) -> int:
    beside = Path(sys.executable).with_name("schemathesis")  # the venv running this script
    executable = str(beside) if beside.exists() else shutil.which("schemathesis")
    if executable is None:
        print("schemathesis is not installed: uv run --group fuzz ...", file=sys.stderr)
        return 2
    with LocalPhosonServer(api_key=API_KEY) as server:
        command = [
            executable,
            "run",
            str(ROOT / "docs" / "openapi.json"),
            "--url",
            server.url,
            "--header",
            f"Authorization: Bearer {API_KEY}",
            "--checks",
            "all",
            # The API validates as FastAPI does, in pydantic's lax mode: "5", 5.0 and true are
            # integers to it, "yes" a boolean (tests/test_local_server.py pins this down). The
            # document gives the types a client should send, so data that is invalid by the
            # schema yet coercible is accepted by design; everything else is still refused 422.
            "--exclude-checks",
            "negative_data_rejection,ensure_resource_availability",
            # ensure_resource_availability (ST302, "created resource not found") reports, in
            # about one run in five, a conversation that answers 404 after it was created. By
            # contract, deleting an agent deletes its conversations; this check only excuses a
            # 404 after a DELETE of the resource itself, so a DELETE /agents/{id} between the
            # two steps reads to it as a bug (the failing chains create a conversation on an
            # agent the scenario also deletes). Off, so that CI judges the rest.
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            str(SEED),
            "--request-timeout",
            "10",
            "--workers",
            "1",
            *argv,
        ]
        hooks = {"SCHEMATHESIS_HOOKS": str(ROOT / ".ci" / "fuzz_hooks.py")}
        return subprocess.call(command, cwd=ROOT, env={**os.environ, **hooks})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
