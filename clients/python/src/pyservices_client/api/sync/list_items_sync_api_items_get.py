from http import HTTPStatus
from typing import Any, Literal

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.page_item_read import PageItemRead
from ...models.page_item_with_owner import PageItemWithOwner
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    owner_id: int | None | Unset = UNSET,
    q: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    expand: Literal["owner"] | None | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_owner_id: int | Unset | None
    if isinstance(owner_id, Unset):
        json_owner_id = UNSET
    else:
        json_owner_id = owner_id
    params["owner_id"] = json_owner_id

    json_q: str | Unset | None
    if isinstance(q, Unset):
        json_q = UNSET
    else:
        json_q = q
    params["q"] = json_q

    params["limit"] = limit

    json_cursor: str | Unset | None
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    json_expand: Literal["owner"] | Unset | None
    if isinstance(expand, Unset):
        json_expand = UNSET
    else:
        json_expand = expand
    params["expand"] = json_expand

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/sync/api/items",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> PageItemRead | PageItemWithOwner | Problem | None:
    if response.status_code == 200:

        def _parse_response_200(data: object) -> PageItemRead | PageItemWithOwner:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_0 = PageItemWithOwner.from_dict(data)

                return response_200_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            response_200_type_1 = PageItemRead.from_dict(data)

            return response_200_type_1

        response_200 = _parse_response_200(response.json())

        return response_200

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
) -> Response[PageItemRead | PageItemWithOwner | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    owner_id: int | None | Unset = UNSET,
    q: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    expand: Literal["owner"] | None | Unset = UNSET,
) -> Response[PageItemRead | PageItemWithOwner | Problem]:
    """List Items

     List items by id, one owner's items, or items by title prefix.

    Args:
        owner_id (int | None | Unset): Only this user's items
        q (None | str | Unset): Case-insensitive prefix of the title
        limit (int | Unset): Items per page Default: 50.
        cursor (None | str | Unset): `next_cursor` of the previous page, unchanged: opaque,
            unpadded URL-safe base64
        expand (Literal['owner'] | None | Unset): `owner` adds the owner's public profile, fetched
            from users

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageItemRead | PageItemWithOwner | Problem]
    """

    kwargs = _get_kwargs(
        owner_id=owner_id,
        q=q,
        limit=limit,
        cursor=cursor,
        expand=expand,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    owner_id: int | None | Unset = UNSET,
    q: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    expand: Literal["owner"] | None | Unset = UNSET,
) -> PageItemRead | PageItemWithOwner | Problem | None:
    """List Items

     List items by id, one owner's items, or items by title prefix.

    Args:
        owner_id (int | None | Unset): Only this user's items
        q (None | str | Unset): Case-insensitive prefix of the title
        limit (int | Unset): Items per page Default: 50.
        cursor (None | str | Unset): `next_cursor` of the previous page, unchanged: opaque,
            unpadded URL-safe base64
        expand (Literal['owner'] | None | Unset): `owner` adds the owner's public profile, fetched
            from users

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageItemRead | PageItemWithOwner | Problem
    """

    return sync_detailed(
        client=client,
        owner_id=owner_id,
        q=q,
        limit=limit,
        cursor=cursor,
        expand=expand,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    owner_id: int | None | Unset = UNSET,
    q: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    expand: Literal["owner"] | None | Unset = UNSET,
) -> Response[PageItemRead | PageItemWithOwner | Problem]:
    """List Items

     List items by id, one owner's items, or items by title prefix.

    Args:
        owner_id (int | None | Unset): Only this user's items
        q (None | str | Unset): Case-insensitive prefix of the title
        limit (int | Unset): Items per page Default: 50.
        cursor (None | str | Unset): `next_cursor` of the previous page, unchanged: opaque,
            unpadded URL-safe base64
        expand (Literal['owner'] | None | Unset): `owner` adds the owner's public profile, fetched
            from users

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageItemRead | PageItemWithOwner | Problem]
    """

    kwargs = _get_kwargs(
        owner_id=owner_id,
        q=q,
        limit=limit,
        cursor=cursor,
        expand=expand,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    owner_id: int | None | Unset = UNSET,
    q: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    expand: Literal["owner"] | None | Unset = UNSET,
) -> PageItemRead | PageItemWithOwner | Problem | None:
    """List Items

     List items by id, one owner's items, or items by title prefix.

    Args:
        owner_id (int | None | Unset): Only this user's items
        q (None | str | Unset): Case-insensitive prefix of the title
        limit (int | Unset): Items per page Default: 50.
        cursor (None | str | Unset): `next_cursor` of the previous page, unchanged: opaque,
            unpadded URL-safe base64
        expand (Literal['owner'] | None | Unset): `owner` adds the owner's public profile, fetched
            from users

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageItemRead | PageItemWithOwner | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            owner_id=owner_id,
            q=q,
            limit=limit,
            cursor=cursor,
            expand=expand,
        )
    ).parsed
