"""Fixtures of the programmes tests."""

from __future__ import annotations

import pytest

from tests.records.factories import Region
from tests.records.programmes.helpers import Residents


@pytest.fixture
def residents(region: Region) -> Residents:
    return Residents(region)
