"""items refuses a token users revoked: the suite every service runs (testkit.suites)."""

import pytest

from testkit.suites.revoked_tokens import (
    OwnedCollection,
    test_a_revoked_token_is_refused_and_writes_nothing,  # noqa: F401 - collected here
)


@pytest.fixture
def owned_collection() -> OwnedCollection:
    return OwnedCollection(path="/items", table="items")
