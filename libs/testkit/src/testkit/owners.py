"""Owners as the services other than users know them: an id in a signed token."""

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from testkit.keys import MintToken


@dataclass(frozen=True)
class Owner:
    """A user of the users service, as items and tasks know one: an id in a signed token."""

    id: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


# Unique across the session, so no test can see another's rows even by mistake.
_owner_ids = itertools.count(1)


@pytest.fixture
def owner_factory(mint_token: MintToken) -> Callable[[], Owner]:
    """`owner_factory()`: a new user id and a valid token for it."""

    def make() -> Owner:
        owner_id = next(_owner_ids)
        return Owner(owner_id, mint_token(str(owner_id)))

    return make


@pytest.fixture
def owner(owner_factory: Callable[[], Owner]) -> Owner:
    return owner_factory()
