"""Who is calling. The seam for the later roles issue: an API key maps to an owner id; with no keys
configured (embedded single-machine mode) every request belongs to one default owner."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Header, Request

from api.deps import services
from api.problems import Problem

API_KEY_HEADER = "X-API-Key"


def current_owner(
    request: Request,
    x_api_key: Annotated[str | None, Header(description="the caller's API key (unless embedded)")] = None,
) -> str:
    settings = services(request).settings
    owners = settings.owners_by_key()
    if not owners:
        return settings.default_owner
    for key, owner in owners.items():
        if x_api_key is not None and hmac.compare_digest(key.encode(), x_api_key.encode()):
            return owner
    raise Problem(
        401, "unauthenticated", "Unauthenticated", f"send a valid API key in the {API_KEY_HEADER} header"
    )
