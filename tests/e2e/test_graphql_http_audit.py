"""The graphql-http audit (npm package graphql-http) passes in full against a live hub."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

AUDIT = Path(__file__).resolve().parent.parent / "conformance" / "audit.mjs"


def test_graphql_over_http_audit_passes_without_warnings(embedded_server: str) -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed for the graphql-http audit"

    result = subprocess.run(
        [node, str(AUDIT), f"{embedded_server}/graphql"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(result.stdout)

    failing = [item for item in report["results"] if item["status"] != "ok"]
    assert failing == []
    assert report["ok"] == len(report["results"]) >= 60
