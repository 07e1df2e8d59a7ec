"""Process-level behaviour of the application."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import TEST_SECRET

_PROBE = """
import gc
from fastapi.testclient import TestClient
from healthcard.app import create_app
from healthcard.core.config import Settings
app = create_app(Settings(environment="test", secret_key={secret!r}, database_url={url!r}))
before = gc.get_freeze_count()
with TestClient(app):
    print(before, gc.get_freeze_count() > 0)
"""


def test_start_up_objects_are_frozen_out_of_the_collector(tmp_path: object) -> None:
    """Full collections walking the whole start-up heap stalled requests ~150 ms under load."""
    env = {**os.environ, "HEALTHCARD_GC_FREEZE": "true"}
    url = f"sqlite:///{tmp_path}/probe.sqlite3"
    code = _PROBE.format(secret=TEST_SECRET, url=url)
    out = subprocess.run(  # noqa: S603 - our own interpreter and probe
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["0", "True"]
