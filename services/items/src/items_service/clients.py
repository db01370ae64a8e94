"""The users service, as items calls it: owners' public profiles for `?expand=owner`."""

import asyncio
import logging
import time
from collections.abc import Iterable

import httpx
from pydantic import ValidationError

from items_service.schemas import Owner
from servicekit.clients.http import DependencyUnavailable, ServiceClient

logger = logging.getLogger(__name__)


class UsersClient:
    """`GET /api/users/{id}` for each distinct owner: concurrently in async mode, one after
    the other in sync mode. A profile is None when users answers 404 (the account is
    gone); any other failure is the 503 of `DependencyUnavailable`."""

    def __init__(self, client: ServiceClient):
        self._client = client

    async def profiles(self, user_ids: Iterable[int]) -> dict[int, Owner | None]:
        distinct = sorted(set(user_ids))
        calls = [asyncio.ensure_future(self._fetch(user_id)) for user_id in distinct]
        try:
            found = await asyncio.gather(*calls)
        except BaseException:
            # The first failure answers the request: the other calls are not awaited.
            for call in calls:
                call.cancel()
            raise
        return dict(zip(distinct, found, strict=True))

    async def _fetch(self, user_id: int) -> Owner | None:
        # Read as it arrives: an unusable answer fails the request at once, not once
        # every other owner has answered or timed out.
        return self._profile(await self._client.get(_path(user_id)))

    def profiles_sync(self, user_ids: Iterable[int]) -> dict[int, Owner | None]:
        # Each call has its own deadline; this one bounds the whole series, so a slow
        # users costs about one timeout, not one per owner.
        deadline = time.monotonic() + self._client.timeout
        profiles = {}
        for user_id in sorted(set(user_ids)):
            if time.monotonic() >= deadline:
                raise self._unavailable(f"no answer within {self._client.timeout:g} s")
            profiles[user_id] = self._profile(self._client.get_sync(_path(user_id)))
        return profiles

    def _profile(self, response: httpx.Response) -> Owner | None:
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._unavailable(f"answered {response.status_code}")
        try:
            return Owner.model_validate_json(response.content)
        except ValidationError:
            raise self._unavailable("answered a profile items cannot read") from None

    def _unavailable(self, reason: str) -> DependencyUnavailable:
        logger.warning("%s unavailable: %s", self._client.name, reason)
        return DependencyUnavailable(self._client.name, reason)

    async def aclose(self) -> None:
        await self._client.aclose()


def _path(user_id: int) -> str:
    return f"/api/users/{user_id}"
