"""Who is calling. The seam for the later roles issue: an API key maps to an owner id (a patient or a
partner) or to a navigator id (staff who review and release cases); with no keys configured (embedded
single-machine mode) every request is the one default owner."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Header, Request

from api.deps import services
from api.problems import Problem

API_KEY_HEADER = "X-API-Key"


class Role(StrEnum):
    OWNER = "owner"
    NAVIGATOR = "navigator"


@dataclass(frozen=True)
class Caller:
    id: str
    role: Role
    embedded: bool = False  # no keys configured: nobody is authenticated, so roles cannot be told apart


async def current_caller(
    request: Request,
    x_api_key: Annotated[str | None, Header(description="the caller's API key (unless embedded)")] = None,
) -> Caller:
    settings = (await services(request)).settings
    owners, navigators = settings.owners_by_key(), settings.navigators_by_key()
    if not owners and not navigators:
        return Caller(settings.default_owner, Role.OWNER, embedded=True)
    for role, keys in ((Role.NAVIGATOR, navigators), (Role.OWNER, owners)):
        for key, name in keys.items():
            if x_api_key is not None and hmac.compare_digest(key.encode(), x_api_key.encode()):
                return Caller(name, role)
    raise Problem(
        401, "unauthenticated", "Unauthenticated", f"send a valid API key in the {API_KEY_HEADER} header"
    )


async def current_owner(caller: Annotated[Caller, Depends(current_caller)]) -> str:
    """Uploads, re-runs and deletion are the owner's alone; navigators only read and release."""
    if caller.role is not Role.OWNER:
        raise Problem(403, "owner_only", "Owner only", "only the case's owner can change its documents")
    return caller.id


async def current_navigator(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
    # On one machine with no keys the local user is also the reviewer; with keys, only a navigator.
    if caller.role is Role.NAVIGATOR or caller.embedded:
        return caller
    raise Problem(403, "navigator_only", "Navigator only", "only a navigator can release a case's guidance")
