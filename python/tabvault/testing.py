"""pytest fixtures for code that uses tabvault, also registered as a pytest plugin.

``tabvault_db``
    A fresh temporary database per test, closed (and removed) after it.
``tabvault_repository``
    The name of a repository created in ``tabvault_db``, held in memory (``memory://``, a fresh
    one per test): BACKUP to it and RESTORE from it.

Both are function-scoped. With Hypothesis, open a database per example instead, with
``fresh_database()``::

    from hypothesis import given, strategies as st
    from tabvault.testing import fresh_database

    @given(st.lists(st.integers(-2**63, 2**63 - 1)))
    def test_sum(values):
        with fresh_database() as db:
            ...
"""

import uuid

import pytest

import tabvault


def fresh_database():
    """A new temporary database; use it in a ``with`` block to remove it afterwards."""
    return tabvault.open()


def memory_repository(db, name="test_repo"):
    """Creates repository ``name`` in ``db`` in a new in-memory store of its own (the store
    lives as long as the process); returns ``name``."""
    db.execute(f'CREATE REPOSITORY `{name}` ON LOCATION "memory://tabvault-{uuid.uuid4().hex}"')
    return name


@pytest.fixture
def tabvault_db():
    """A fresh temporary database, closed and removed after the test."""
    with fresh_database() as db:
        yield db


@pytest.fixture
def tabvault_repository(tabvault_db):
    """A repository in ``tabvault_db``, in memory and empty."""
    return memory_repository(tabvault_db)
