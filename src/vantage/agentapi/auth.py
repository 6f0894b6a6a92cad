"""Who is calling the agent API: `Authorization: Bearer vtg_agent_...`, a key of one location.

API keys are refused here, and agent keys are refused on the public API (its key lookup reads
only API keys), so neither kind of key opens the other's door.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPBearer

from vantage.errors import Unauthorized
from vantage.locations.ref import LocationRef
from vantage.runtime import Runtime, get_runtime


@dataclass(frozen=True, slots=True)
class AgentIdentity:
    # The key's location by id as well as slug: its jobs are those bound to that id.
    location: LocationRef

    def check_location(self, location: str | None) -> None:
        """A key works for its own location only."""
        if location is not None and location != self.location.slug:
            raise Unauthorized(f"This agent key is not a key of location {location!r}.")


# Declared as a security scheme for `/openapi.json`; the dependency below does the reading.
AGENT_KEY = HTTPBearer(
    scheme_name="AgentKey",
    description="An agent key of one location (`vtg_agent_...`); it opens only `/agent/v1`.",
    auto_error=False,
)


async def _authenticated_agent(
    request: Request,
    runtime: Annotated[Runtime, Depends(get_runtime)],
    _key: Annotated[object, Security(AGENT_KEY)],
) -> AgentIdentity:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthorized("Missing authentication: send Authorization: Bearer <agent key>.")
    location = await runtime.agent_keys.location_for_key(runtime.db.read, key.strip())
    if location is None:
        raise Unauthorized("Bad agent key")
    return AgentIdentity(location=location)


CurrentAgent = Annotated[AgentIdentity, Depends(_authenticated_agent)]
