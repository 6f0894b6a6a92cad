"""Settings for the server and the agent, read from arguments and `VANTAGE_*` variables.

The one configuration surface: every field of `Settings` is a `VANTAGE_<NAME>` variable and a
`vantage server --<name>` flag; every field of `AgentSettings` a variable (`VANTAGE_AGENT_<NAME>`,
or the name it had before) and a `vantage agent --<name>` flag. vantage.cli derives the flags
from these classes, and a flag given on the command line wins over the variable. Built in the
entry point and passed down; nothing reads the environment at import time.
"""

from __future__ import annotations

from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from vantage.limits.rules import EXPENSIVE_ROUTES, Limits, parse_routes
from vantage.probes.target_policy import (
    EMBEDDED_DEFAULT,
    REMOTE_DEFAULT,
    TargetPolicy,
    parse_networks,
)
from vantage.rollups.keeping import Keeping

DEFAULT_DATABASE_URL = "sqlite:///vantage.db"
LOCAL_LOCATION = "local"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VANTAGE_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    port: int = Field(default=8080, ge=0, le=65535, description="Port to listen on.")
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="sqlite:///path/to/file.db or postgresql://user@host:port/db",
    )
    public_url: str | None = Field(
        default=None, description="Base URL of links in API answers (default: http://HOST:PORT)."
    )
    # The embedded default runs an agent for `local` inside the server process.
    local_agent: bool = Field(
        default=True,
        description="Run the checks of location `local` in this process (off: remote agents "
        "run them, `vantage agent --location local`).",
    )
    local_agent_concurrency: int = Field(
        default=256, ge=1, description="Checks the embedded agent runs at once."
    )
    local_agent_browser_concurrency: int = Field(
        default=0,
        ge=-1,
        le=256,
        description="Browser and multi-step runs the embedded agent runs at once; 0: one per "
        "core and per 1.5 GiB of memory (none without Chromium); -1: none, so it is leased no "
        "browser check.",
    )
    scheduler: bool = Field(
        default=True, description="Start scheduled runs (off: only triggered runs start)."
    )
    default_location: str = Field(
        default=LOCAL_LOCATION,
        description="Where checks without locations run; reserved for the operator.",
    )
    # How long /completion may be held; Checkly's limit is 30 s.
    max_wait_seconds: int = Field(
        default=30, ge=1, description="Longest wait of GET .../completion before its 408."
    )
    # Slack added to a run's own timeout before its session is TIMED_OUT.
    session_deadline_slack_seconds: float = Field(
        default=30.0,
        ge=0,
        description="Added to a run's own timeout and retries before its session is TIMED_OUT.",
    )
    # A run outlasting its lease is leased again and run twice: see _lease_outlasts_runs.
    lease_seconds: float = Field(
        default=60.0, gt=0, description="How long the embedded agent holds a run it leased."
    )
    log_format: Literal["console", "json"] = Field(
        default="console", description="console or json: one line per event."
    )
    # Where the embedded agent's probes may not connect (VANTAGE_PROBE_DENY): CIDRs, addresses and
    # the groups loopback, link-local, metadata, comma-separated; "" denies nothing. The default
    # keeps checks away from the server itself and from the cloud's metadata service.
    probe_deny: str = Field(
        default=EMBEDDED_DEFAULT,
        description="Where the embedded agent's checks may not connect: CIDRs, addresses and "
        "the groups loopback, link-local, metadata, comma-separated; empty denies nothing.",
    )
    # When set, /metrics answers only `Authorization: Bearer <metrics_token>` and labels private
    # locations by slug; unset, /metrics is open and sums every private location under
    # location="private", so it names no account's locations.
    metrics_token: str | None = Field(
        default=None, description="When set, /metrics answers only this bearer token."
    )
    # Header and query-parameter names (globs, case-insensitive, comma-separated) masked in stored
    # results, in addition to the defaults (vantage.probes.masking).
    sensitive_names: str = Field(
        default="",
        description="Header and query names (globs, comma-separated) masked in stored results, "
        "in addition to the defaults.",
    )
    # Encrypts secret values at rest (secret environment variables, client-certificate keys and
    # passphrases, private locations' proxy URLs): any string; a SHA-256 of it is the AES-256-GCM
    # key. Unset, they are stored as sent and the server says so at start (vantage.sealing).
    secrets_key: str | None = Field(
        default=None, description="Key that encrypts secret values at rest (any string)."
    )
    # Largest request body of the public API, refused with a 413 before it is read (the agent
    # API has its own limit, part of the protocol: vantage.agentapi.schemas.MAX_BODY_BYTES).
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest request body of the public API (413)."
    )
    # The MQTT result channel (`/mqtt`): each connection holds a socket and a queue of up to
    # 1000 messages, so one account (whatever its keys) may hold only so many on one replica.
    mqtt_max_connections_per_account: int = Field(
        default=50,
        ge=1,
        description="MQTT connections (the CLI's result channel) one account may hold open on "
        "one replica; past it CONNACK refuses with 'server unavailable'.",
    )
    # Rate limits of the public API, as Checkly's: per API key and route, so many requests per
    # window, lower on the lists that read raw results; past it a 429 with `Retry-After`.
    rate_limit: int = Field(
        default=600,
        ge=0,
        description="Requests one API key may make to one route per window; 0 turns the "
        "limit off (routes named in rate_limit_routes keep theirs).",
    )
    rate_limit_window_seconds: float = Field(
        default=60.0, gt=0, description="The rate limits' window, in seconds."
    )
    rate_limit_routes: str = Field(
        default=EXPENSIVE_ROUTES,
        description="Routes with a limit of their own: 'METHOD /path=N' items as /openapi.json "
        "names the paths, comma-separated; N=0 means no limit.",
    )
    # The public status pages' subscribe form mails an unproven address: bounded per hour.
    subscribe_limit_per_address: int = Field(
        default=5,
        ge=0,
        description="Subscribes one client address may send to status pages per hour (429 "
        "past it); 0: no limit.",
    )
    subscribe_limit_per_page: int = Field(
        default=100,
        ge=0,
        description="Subscribes one status page accepts per hour, from all addresses (429 past "
        "it); 0: no limit.",
    )
    # Slow clients (uvicorn has no timeout for a request that arrives slowly).
    header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How long a connection may take to send a request's headers before it is "
        "closed.",
    )
    body_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How long a request may take to send its body after its headers (408).",
    )
    # The loops' pace (issue 9: loop constants are settings).
    scheduler_batch: int = Field(
        default=500, ge=1, description="Most due checks one scheduler pass starts."
    )
    scheduler_tick_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Longest the scheduler sleeps: it wakes when the soonest activated check is "
        "due and when a check or group is created or edited (on any replica); this bounds a lost "
        "wake-up from another replica.",
    )
    reaper_interval_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Longest the reaper sleeps: it wakes at the earliest open session's deadline "
        "(to end it TIMED_OUT) and when a session starts with an earlier one.",
    )
    heartbeat_poll_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Longest the heartbeat watcher sleeps: it wakes at the earliest heartbeat "
        "deadline and when a ping, a new or an edited check sets an earlier one.",
    )
    recheck_seconds: float = Field(
        default=2.0,
        gt=0,
        description="With PostgreSQL: how often a waiting /completion re-reads the database "
        "(notifications are best-effort).",
    )
    local_agent_drain_seconds: float = Field(
        default=10.0,
        ge=0,
        description="When the server stops, how long the embedded agent's runs in flight may "
        "still take; the rest are released to run again.",
    )
    # The agent API's side of the loops (docs/agent-protocol.md).
    default_agent_lease_seconds: float = Field(
        default=30.0,
        ge=5,
        le=300,
        description="The lease a remote agent gets when it asks for none.",
    )
    # Agents heartbeat every 10 s by default: three missed ones and the agent counts as dead.
    agent_dead_seconds: float = Field(
        default=30.0,
        gt=0,
        description="An agent with no heartbeat for this long is dead: another agent of its "
        "location takes its leases over at once instead of waiting for them to expire. Keep it "
        "above the agents' heartbeat interval.",
    )
    agent_key_cache_seconds: float = Field(
        default=2.0,
        ge=0,
        le=60,
        description="How long a replica trusts an agent key it has read without reading it again. "
        "A key revoked on this replica is refused at once; revoked on another replica or with the "
        "CLI, within this many seconds. 0 reads the key on every agent call.",
    )
    lease_poll_seconds: float = Field(
        default=2.0,
        gt=0,
        description="How often a waiting lease long-poll also looks at the queue (work queued "
        "on another replica, an expired lease).",
    )
    # Retention (issue 16): raw results and their sessions older than this are deleted in small
    # batches; status rows stay. Fractions of a day are allowed (the soak prunes every few minutes).
    retention_days: float = Field(
        default=30.0,
        ge=0,
        description="Days raw check results and their sessions are kept (0 keeps them forever); "
        "status rows stay.",
    )
    retention_interval_seconds: float = Field(
        default=300.0, gt=0, description="How often old results are pruned."
    )
    # Roll-ups outlive raw results, each bucket size as long as the pages read it
    # (vantage.rollups.keeping); pruned only while retention is on.
    retention_minute_rollups_days: float = Field(
        default=2.0,
        ge=0,
        description="Days the 1-minute roll-ups (charts of up to 12 hours) are kept; an older "
        "window is drawn from the hourly ones. 0 keeps them forever.",
    )
    retention_hour_rollups_days: float = Field(
        default=35.0,
        ge=0,
        description="Days the hourly roll-ups (charts of up to 14 days, the dashboard) are kept; "
        "an older window is drawn from the daily ones. 0 keeps them forever.",
    )
    retention_day_rollups_days: float = Field(
        default=400.0,
        ge=0,
        description="Days the daily roll-ups (longer charts, status pages' uptime bars) are "
        "kept. 0 keeps them forever.",
    )
    # Tracked deploys (`/v1/projects/deploy`) and code bundles only grow; the retention pass keeps
    # the newest of each (vantage.projects.repository.prune_deployments, vantage.bundles.service).
    project_deployments_kept: int = Field(
        default=20,
        ge=1,
        description="Ended deployments (deploy and destroy) kept per project; older ones are "
        "pruned.",
    )
    code_bundles_kept: int = Field(
        default=50,
        ge=1,
        description="Code bundles kept per account, the most recently uploaded; older ones are "
        "pruned.",
    )
    # Private locations' queue history (`/v1/private-locations/{id}/metrics`): one sample per
    # location this often, kept for Checkly's 15-day metrics window (vantage.locations.sampling).
    location_sample_seconds: float = Field(
        default=60.0,
        ge=1.0,
        description="How often each private location's queue is sampled for its metrics.",
    )
    # Small, so that on SQLite the single writer lock is never held for long: result intake waits
    # at most one batch.
    retention_batch: int = Field(
        default=100, ge=1, description="Results (or sessions) one pruning statement deletes."
    )
    retention_transaction_seconds: float = Field(
        default=0.05,
        ge=0,
        description="How long one pruning transaction goes on deleting batches before it lets "
        "result intake write; 0 means one batch per transaction.",
    )
    # Alerting (docs/alerting.md): the notification outbox's delivery worker and its providers.
    alert_delivery: bool = Field(
        default=True, description="Deliver alert notifications from this replica."
    )
    alert_delivery_process: bool = Field(
        default=True,
        description="Send alert notifications from a child process of the server, beside the "
        "event loop that takes results in rather than on it.",
    )
    alert_poll_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Longest the delivery worker sleeps: it wakes when alerts are raised (on any "
        "replica) and when a retry, reminder or escalation falls due; this bounds what no "
        "wake-up announces (another replica's notification whose wake-up was lost).",
    )
    # As many as one intake batch of the embedded agent can raise: one claim (a write
    # transaction) per batch instead of four.
    alert_batch: int = Field(default=200, ge=1, description="Most notifications one claim takes.")
    alert_ssl_interval_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="How often the server reads the certificates of checks whose channels want "
        "SSL expiry alerts.",
    )
    alert_concurrency: int = Field(
        default=200, ge=1, description="Most notifications one replica sends at once."
    )
    alert_channel_concurrency: int = Field(
        default=25,
        ge=1,
        description="Most notifications one replica sends at once to one channel.",
    )
    alert_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How long a replica holds a notification it is sending; a replica that dies "
        "leaves it to another after this.",
    )
    alert_send_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Longest one delivery attempt may take."
    )
    alert_retry_base_seconds: float = Field(
        default=10.0,
        gt=0,
        description="First retry delay of a failed delivery; later ones grow (x3, x6, x12, x30, "
        "x60, then x90), with 20% jitter.",
    )
    alert_max_attempts: int = Field(
        default=12, ge=1, description="Delivery attempts before a notification is given up."
    )
    # Webhook and Slack URLs are the account's choice: without this, any account could make the
    # server send requests to its own network (SSRF). Same syntax as probe_deny.
    alert_deny: str = Field(
        default=EMBEDDED_DEFAULT,
        description="Where webhook and Slack alerts may not be sent: CIDRs, addresses and the "
        "groups loopback, link-local, metadata, comma-separated; empty denies nothing.",
    )
    pagerduty_url: str = Field(
        default="https://events.pagerduty.com", description="PagerDuty Events API v2 base URL."
    )
    opsgenie_url: str = Field(
        default="https://api.opsgenie.com", description="Opsgenie API base URL (region US)."
    )
    opsgenie_eu_url: str = Field(
        default="https://api.eu.opsgenie.com", description="Opsgenie API base URL (region EU)."
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for EMAIL alert channels (unset: email fails)."
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP server port.")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        default="starttls", description="starttls, tls (implicit, port 465) or none."
    )
    smtp_username: str | None = Field(default=None, description="SMTP login (unset: no AUTH).")
    smtp_password: str | None = Field(default=None, description="SMTP password.")
    smtp_from: str = Field(
        default="vantage@localhost", description="The From address of alert emails."
    )
    # For tests and demonstrations of lease expiry only (see _lease_outlasts_runs).
    allow_short_lease: bool = Field(
        default=False,
        description="Start even with a lease shorter than the longest run (such runs may run "
        "twice).",
    )
    # VANTAGE_NO_LOCAL_AGENT=true, the variable of earlier releases, still switches the embedded
    # agent off (as does VANTAGE_LOCAL_AGENT=false); either one saying "off" wins.
    no_local_agent: bool = Field(default=False, description="The same as local_agent=false.")

    @field_validator("probe_deny", "alert_deny")
    @classmethod
    def _valid_probe_deny(cls, value: str) -> str:
        parse_networks(value)  # a typo must stop the server, not silently allow everything
        return value

    @field_validator("rate_limit_routes")
    @classmethod
    def _valid_rate_limit_routes(cls, value: str) -> str:
        parse_routes(value)  # a typo must stop the server, not silently drop a limit
        return value

    @model_validator(mode="after")
    def _lease_outlasts_runs(self) -> Self:
        """The embedded agent does not give a run back before its lease ends; a lease shorter than
        the longest run would hand a slow run to a second agent while the first still runs it."""
        from vantage.probes.runner import GRACE_SECONDS, MAX_RUN_SECONDS

        if self.no_local_agent:
            self.local_agent = False
        longest = MAX_RUN_SECONDS + GRACE_SECONDS
        if self.local_agent and self.lease_seconds < longest and not self.allow_short_lease:
            raise ValueError(
                f"VANTAGE_LEASE_SECONDS={self.lease_seconds:g} is shorter than the longest run "
                f"({longest:g} s): a slower run would be leased again and run twice. Raise it, or "
                "set VANTAGE_ALLOW_SHORT_LEASE=true to accept that"
            )
        return self

    def limits(self) -> Limits:
        return Limits(
            default=self.rate_limit,
            window=self.rate_limit_window_seconds,
            routes=parse_routes(self.rate_limit_routes),
        )

    @model_validator(mode="after")
    def _alert_lease_outlasts_sends(self) -> Self:
        """A notification still being sent when its lease ends is claimed and sent again."""
        if self.alert_lease_seconds <= self.alert_send_timeout_seconds + 1:
            longest = self.alert_send_timeout_seconds + 1
            raise ValueError(
                f"VANTAGE_ALERT_LEASE_SECONDS={self.alert_lease_seconds:g} must be longer than "
                f"VANTAGE_ALERT_SEND_TIMEOUT_SECONDS + 1 ({longest:g}): a notification still "
                "being sent would be sent again by another replica"
            )
        return self

    def rollup_keeping(self) -> Keeping:
        return Keeping(
            minute_days=self.retention_minute_rollups_days,
            hour_days=self.retention_hour_rollups_days,
            day_days=self.retention_day_rollups_days,
        )

    def probe_policy(self) -> TargetPolicy:
        return TargetPolicy.parse(self.probe_deny)

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.host}:{self.port}"


class AgentSettings(BaseSettings):
    """`vantage agent`: one location's runner, talking to a server over HTTP(S)."""

    model_config = SettingsConfigDict(
        env_prefix="VANTAGE_AGENT_", extra="ignore", validate_by_name=True, validate_by_alias=True
    )

    server: str = Field(
        validation_alias="VANTAGE_SERVER",
        description="The server's base URL, e.g. https://vantage.example.",
    )
    location: str = Field(
        validation_alias="VANTAGE_LOCATION",
        description="The location's slug.",
    )
    # A flag shows in `ps`: the README passes the key in the variable.
    key: str = Field(
        min_length=1,
        description="An agent key of the location (vtg_agent_...); prefer the variable.",
    )
    concurrency: int = Field(default=32, ge=1, le=10_000, description="Checks run at once.")
    browser_concurrency: int = Field(
        default=0,
        ge=-1,
        le=256,
        description="Browser and multi-step runs at once, out of the concurrency; 0: one per "
        "core and per 1.5 GiB of memory (none without Chromium); -1: none, so the agent is "
        "leased no browser check.",
    )
    outbox: str | None = Field(
        default=None,
        validation_alias="VANTAGE_OUTBOX",
        description="Directory for results not yet delivered (default: ./vantage-outbox/LOCATION).",
    )
    lease_seconds: float = Field(
        default=30.0,
        ge=5,
        le=300,
        description="How long a lease lasts; the agent extends it when a third is left.",
    )
    wait_seconds: float = Field(
        default=20.0, ge=0, le=20, description="How long a lease call waits for work."
    )
    heartbeat_seconds: float = Field(
        default=10.0, gt=0, description="How often the agent reports itself alive."
    )
    drain_seconds: float = Field(
        default=10.0, ge=0, description="On SIGTERM, how long runs in flight may still take."
    )
    flush_seconds: float = Field(
        default=10.0, ge=0, description="On SIGTERM, how long delivering results may still take."
    )
    batch: int = Field(
        default=100,
        ge=1,
        le=500,
        description="Most jobs one lease call takes and results one upload carries.",
    )
    max_backoff_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Longest pause between attempts while the server cannot be reached.",
    )
    sensitive_names: str = Field(
        default="",
        validation_alias="VANTAGE_SENSITIVE_NAMES",
        description="Header and query-parameter names (globs, comma-separated) masked in "
        "results, in addition to the defaults.",
    )
    log_format: Literal["console", "json"] = Field(
        default="console",
        validation_alias="VANTAGE_LOG_FORMAT",
        description="console or json: one line per event.",
    )
    # Unlike the embedded agent's default, loopback is allowed: a remote agent is often placed to
    # check the services of its own host.
    probe_deny: str = Field(
        default=REMOTE_DEFAULT,
        validation_alias="VANTAGE_PROBE_DENY",
        description="Where checks may not connect: CIDRs, addresses and the groups loopback, "
        "link-local, metadata, comma-separated; empty denies nothing.",
    )

    @field_validator("server")
    @classmethod
    def _valid_server(cls, value: str) -> str:
        # A URL the client cannot use would fail every call, retried forever: refuse it now.
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"{value!r} is not a server URL: give its scheme and host, "
                "e.g. https://vantage.example or http://127.0.0.1:8080"
            )
        try:
            _ = parts.port
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a server URL: {exc}") from None
        return value.strip().rstrip("/")

    @field_validator("probe_deny")
    @classmethod
    def _valid_probe_deny(cls, value: str) -> str:
        parse_networks(value)
        return value

    def probe_policy(self) -> TargetPolicy:
        return TargetPolicy.parse(self.probe_deny)

    @staticmethod
    def variable(name: str) -> str:
        """The variable that sets field `name`: `VANTAGE_AGENT_<NAME>`, or the name it had before
        this class, or the one it shares with the server."""
        alias = AgentSettings.model_fields[name].validation_alias
        return alias if isinstance(alias, str) else f"VANTAGE_AGENT_{name.upper()}"
