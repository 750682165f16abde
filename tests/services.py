"""The real services the suite runs against, as exported by scripts/services.py."""

from __future__ import annotations

import os

import pytest


def service_env(name: str) -> str:
    """Return a CHANNELHUB_TEST_* variable, failing loudly when the harness did not set it."""
    value = os.environ.get(f"CHANNELHUB_TEST_{name}")
    if not value:
        pytest.fail(
            f"CHANNELHUB_TEST_{name} is not set: run the suite through `make test`, "
            "which starts PostgreSQL, Redis and SeaweedFS",
            pytrace=False,
        )
    return value
