"""Fixtures of the records tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from healthcard.core.config import Settings
from tests.records.factories import Region, region_fixture


@pytest.fixture
def region(
    app: FastAPI, client: TestClient, session: Session, settings: Settings
) -> Iterator[Region]:
    yield from region_fixture(app, client, session, settings)
