"""Shared fixtures. The dev-set reports (public documents) live in eval/dev_set/; see
tests/devset.py for their paths and truth."""

import pytest

from devset import DEV


@pytest.fixture(scope="session")
def dev_dir():
    return DEV
