from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.item_read import ItemRead
from ...models.item_with_owner import ItemWithOwner
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    item_id: int,
    *,
    expand: Literal["owner"] | None | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_expand: Literal["owner"] | Unset | None
    if isinstance(expand, Unset):
        json_expand = UNSET
    else:
        json_expand = expand
    params["expand"] = json_expand

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/items/{item_id}".format(
            item_id=quote(str(item_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ItemRead | ItemWithOwner | Problem | None:
    if response.status_code == 200:

        def _parse_response_200(data: object) -> ItemRead | ItemWithOwner:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_0 = ItemWithOwner.from_dict(data)

                return response_200_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            response_200_type_1 = ItemRead.from_dict(data)

            return response_200_type_1

        response_200 = _parse_response_200(response.json())

        return response_200

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 414:
        response_414 = Problem.from_dict(response.json())

        return response_414

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 431:
        response_431 = Problem.from_dict(response.json())

        return response_431

    if response.status_code == 502:
        response_502 = Problem.from_dict(response.json())

        return response_502

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if response.status_code == 504:
        response_504 = Problem.from_dict(response.json())

        return response_504

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ItemRead | ItemWithOwner | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    item_id: int,
    *,
    client: AuthenticatedClient | Client,
    expand: Literal["owner"] | None | Unset = UNSET,
) -> Response[ItemRead | ItemWithOwner | Problem]:
    """Read Item

     An item, counting this view.

    Args:
        item_id (int): An item's id
        expand (Literal['owner'] | None | Unset): `owner` adds the owner's public profile, fetched
            from users

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ItemRead | ItemWithOwner | Problem]
    """

    kwargs = _get_kwargs(
        item_id=item_id,
        expand=expand,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    item_id: int,
    *,
    client: AuthenticatedClient | Client,
    expand: Literal["owner"] | None | Unset = UNSET,
) -> ItemRead | ItemWithOwner | Problem | None:
    """Read Item

     An item, counting this view.

    Args:
        item_id (int): An item's id
        expand (Literal['owner'] | None | Unset): `owner` adds the owner's public profile, fetched
            from users

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ItemRead | ItemWithOwner | Problem
    """

    return sync_detailed(
        item_id=item_id,
        client=client,
        expand=expand,
    ).parsed


async def asyncio_detailed(
    item_id: int,
    *,
    client: AuthenticatedClient | Client,
    expand: Literal["owner"] | None | Unset = UNSET,
) -> Response[ItemRead | ItemWithOwner | Problem]:
    """Read Item

     An item, counting this view.

    Args:
        item_id (int): An item's id
        expand (Literal['owner'] | None | Unset): `owner` adds the owner's public profile, fetched
            from users

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ItemRead | ItemWithOwner | Problem]
    """

    kwargs = _get_kwargs(
        item_id=item_id,
        expand=expand,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    item_id: int,
    *,
    client: AuthenticatedClient | Client,
    expand: Literal["owner"] | None | Unset = UNSET,
) -> ItemRead | ItemWithOwner | Problem | None:
    """Read Item

     An item, counting this view.

    Args:
        item_id (int): An item's id
        expand (Literal['owner'] | None | Unset): `owner` adds the owner's public profile, fetched
            from users

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ItemRead | ItemWithOwner | Problem
    """

    return (
        await asyncio_detailed(
            item_id=item_id,
            client=client,
            expand=expand,
        )
    ).parsed
