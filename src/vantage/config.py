"""Settings for the server, read from arguments and `VANTAGE_*` environment variables.

Built in the entry point and passed down; nothing reads the environment at import time.
"""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from vantage.probes.target_policy import EMBEDDED_DEFAULT, TargetPolicy, parse_networks

DEFAULT_DATABASE_URL = "sqlite:///vantage.db"
LOCAL_LOCATION = "local"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VANTAGE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8080
    database_url: str = DEFAULT_DATABASE_URL
    public_url: str | None = None
    # The embedded default runs an agent for `local` inside the server process.
    local_agent: bool = True
    local_agent_concurrency: int = Field(default=256, ge=1)
    scheduler: bool = True
    default_location: str = LOCAL_LOCATION
    # How long /completion may be held; Checkly's limit is 30 s.
    max_wait_seconds: int = 30
    # Slack added to a run's own timeout before its session is TIMED_OUT.
    session_deadline_slack_seconds: float = 30.0
    lease_seconds: float = 60.0
    log_format: str = "console"
    # Where the embedded agent's probes may not connect (VANTAGE_PROBE_DENY): CIDRs, addresses and
    # the groups loopback, link-local, metadata, comma-separated; "" denies nothing. The default
    # keeps checks away from the server itself and from the cloud's metadata service.
    probe_deny: str = EMBEDDED_DEFAULT
    # When set, /metrics answers only `Authorization: Bearer <metrics_token>` and labels private
    # locations by slug; unset, /metrics is open and sums every private location under
    # location="private", so it names no account's locations.
    metrics_token: str | None = None
    # Header and query-parameter names (globs, case-insensitive, comma-separated) masked in stored
    # results, in addition to the defaults (vantage.probes.masking).
    sensitive_names: str = ""
    # Largest request body of the public API, refused with a 413 before it is read (the agent
    # API has its own limit, part of the protocol: vantage.agentapi.schemas.MAX_BODY_BYTES).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)

    @field_validator("probe_deny")
    @classmethod
    def _valid_probe_deny(cls, value: str) -> str:
        parse_networks(value)  # a typo must stop the server, not silently allow everything
        return value

    def probe_policy(self) -> TargetPolicy:
        return TargetPolicy.parse(self.probe_deny)

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.host}:{self.port}"
