"""The schema, as SQLAlchemy Core tables. Alembic migrations create it; tests compare the two."""

from __future__ import annotations

import sqlalchemy as sa

from vantage.db.types import Json, NullableJson, UtcDateTime

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Id = sa.String(36)

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    # Checkly's account-level `alertSettings` (the operator sets them; null: Checkly's defaults),
    # which checks with `useGlobalAlertSettings` follow.
    sa.Column("alert_settings", Json, nullable=True),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    # SHA-256 of the whole key: a database dump yields no usable key.
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

checks = sa.Table(
    "checks",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("check_type", sa.String(20), nullable=False),
    sa.Column("name", sa.String(500), nullable=False),
    sa.Column("activated", sa.Boolean(), nullable=False),
    sa.Column("tags", Json, nullable=False),
    sa.Column("group_id", sa.Integer(), nullable=True),
    # The check as Checkly's JSON (every writable field, defaults applied).
    sa.Column("config", Json, nullable=False),
    # Seconds between scheduled runs; 0 for checks that are never scheduled.
    sa.Column("interval_seconds", sa.Integer(), nullable=False),
    sa.Column("next_run_at", UtcDateTime(), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=True),
    # The dashboard's state as a number, worst first (vantage.checks.severity): kept by the
    # writers of `activated` and of the status row, so that the dashboard's counters and its
    # worst-first page read an index instead of joining every check to its status.
    sa.Column("severity", sa.SmallInteger(), nullable=False, server_default="2"),
    # The name as the dashboard orders it (vantage.checks.severity.name_key), stored so that an
    # index holds it: an index on lower(name) is an expression SQLite's schema reflection skips.
    sa.Column("name_key", sa.String(500), nullable=False, server_default=""),
    sa.Index("ix_checks_account_created", "account_id", "created_at"),
    sa.Index("ix_checks_due", "activated", "next_run_at"),
    sa.Index("ix_checks_account_severity", "account_id", "severity", "name_key", "id"),
)

check_groups = sa.Table(
    "check_groups",
    metadata,
    # Integer ids, as Checkly's; AUTOINCREMENT on SQLite so a deleted group's id is never reused.
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(500), nullable=False),
    sa.Column("activated", sa.Boolean(), nullable=False),
    sa.Column("tags", Json, nullable=False),
    # The group as Checkly's JSON (every writable field, defaults applied).
    sa.Column("config", Json, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=True),
    sa.Index("ix_check_groups_account_created", "account_id", "created_at"),
    sqlite_autoincrement=True,
)

check_sessions = sa.Table(
    "check_sessions",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("check_id", Id, nullable=False),
    sa.Column("check_type", sa.String(20), nullable=False),
    sa.Column("name", sa.String(500), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("run_source", sa.String(40), nullable=False),
    sa.Column("run_locations", Json, nullable=False),
    # FINAL results so far, and how many of them failed or were degraded: the status is a pure
    # function of these counters, updated with compare-and-set in the result's transaction.
    sa.Column("finals", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("failed", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("degraded", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("stopped_at", UtcDateTime(), nullable=True),
    sa.Column("deadline_at", UtcDateTime(), nullable=False),
    # Set for the ad-hoc runs of a test session (`checkly test`, `checkly trigger`): such a run is
    # not scheduled, and touches neither its check's status nor its alerts nor its roll-ups. Read
    # by id (the test session lists its check sessions), so no index.
    sa.Column("test_session_id", Id, nullable=True),
    # One index serves two readers: the reaper (`stopped_at IS NULL`: the few open sessions) and
    # retention (`stopped_at < cutoff`, oldest first). Nothing reads sessions by check.
    sa.Index("ix_check_sessions_stopped", "stopped_at"),
    # The web UI's sessions list: an account's newest first, keyset pages.
    sa.Index("ix_check_sessions_account_started", "account_id", "started_at", "id"),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("session_id", Id, nullable=False),
    sa.Column("account_id", Id, nullable=False),
    sa.Column("check_id", Id, nullable=False),
    sa.Column("location", sa.String(100), nullable=False),
    # The location's id: a slug deleted and created again is another location, whose agents never
    # see these jobs; and jobs go with their location.
    sa.Column(
        "location_id",
        Id,
        sa.ForeignKey("locations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("attempt", sa.Integer(), nullable=False),
    sa.Column("sequence_id", Id, nullable=False),
    # QUEUED -> LEASED -> DONE; a lease that expires makes the job claimable again.
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("run_at", UtcDateTime(), nullable=False),
    sa.Column("lease_owner", sa.String(100), nullable=True),
    sa.Column("lease_expires_at", UtcDateTime(), nullable=True),
    sa.Column("leases", sa.Integer(), nullable=False, server_default="0"),
    # The check as it was when the run was queued: an edit mid-run does not change the run.
    sa.Column("config", Json, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    # The job of an ad-hoc run (see check_sessions.test_session_id): the intake keeps its result
    # out of the check's status, alerts and roll-ups, and publishes it on the result channel.
    sa.Column("test_session_id", Id, nullable=True),
    sa.Index("ix_jobs_claim", "location_id", "state", "run_at"),
    sa.Index("ix_jobs_session", "session_id"),
)

test_sessions = sa.Table(
    "test_sessions",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(500), nullable=False),
    # "TEST" (`checkly test`: the checks are in the request) or "TRIGGER" (deployed checks).
    sa.Column("kind", sa.String(10), nullable=False),
    # The CLI's checkRunSuiteId: the result channel's topics carry it.
    sa.Column("suite_id", sa.String(100), nullable=False),
    # `--record`: a recorded session is listed by /v1/test-sessions; any is readable by id.
    sa.Column("recorded", sa.Boolean(), nullable=False),
    sa.Column("run_location", sa.String(100), nullable=False),
    # Per run: its check session, sequence id, check id, logicalId, file path, check type, name.
    sa.Column("runs", Json, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("cancelled_at", UtcDateTime(), nullable=True),
    sa.Index("ix_test_sessions_account_created", "account_id", "created_at"),
)

check_results = sa.Table(
    "check_results",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("account_id", Id, nullable=False),
    sa.Column("check_id", Id, nullable=False),
    sa.Column("session_id", Id, nullable=True),
    sa.Column("job_id", Id, nullable=True),
    sa.Column("name", sa.String(500), nullable=False),
    sa.Column("check_type", sa.String(20), nullable=False),
    sa.Column("run_location", sa.String(100), nullable=False),
    sa.Column("result_type", sa.String(10), nullable=False),
    sa.Column("sequence_id", Id, nullable=True),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("has_failures", sa.Boolean(), nullable=False),
    sa.Column("has_errors", sa.Boolean(), nullable=False),
    sa.Column("is_degraded", sa.Boolean(), nullable=False),
    sa.Column("over_max_response_time", sa.Boolean(), nullable=False),
    sa.Column("response_time", sa.Float(), nullable=False),
    sa.Column("check_run_id", sa.BigInteger(), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("stopped_at", UtcDateTime(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("detail_key", sa.String(40), nullable=True),
    sa.Column("detail", Json, nullable=True),
    # Taken while a maintenance window of its account covered its check (alerting/maintenance.py):
    # shown, but left out of availability and response-time figures.
    sa.Column("in_maintenance", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Index("ix_check_results_check_created", "check_id", "created_at"),
    sa.Index("ix_check_results_session", "session_id"),
    # A job's result, once stored (the intake's duplicate check, an agent's late delivery). On
    # PostgreSQL the table is partitioned by day (migration 0016, db/partitions.py), where a unique
    # key must hold the partition key, so there the primary key is (id, created_at) and job_id has
    # a plain index: the intake's delete of the leased job is what stores a job's result once.
    # SQLite's one table keeps UNIQUE (job_id), which only a rebuild of the table could drop.
    sa.UniqueConstraint("job_id", name="uq_check_results_job_id").ddl_if(dialect="sqlite"),
    sa.Index("ix_check_results_job", "job_id").ddl_if(dialect="postgresql"),
    # Retention deletes the oldest results first, across checks, in small batches.
    sa.Index("ix_check_results_created", "created_at"),
    # The UI's results list filters by FINAL / ATTEMPT: without this, a filter that matches
    # little walks the check's whole history (read-scale measurements).
    sa.Index("ix_check_results_check_type_created", "check_id", "result_type", "created_at"),
    # The results list filtered by location walks this, not every result of the check.
    sa.Index("ix_check_results_check_location_created", "check_id", "run_location", "created_at"),
    # ... and filtered to failures this: partial, so it holds only the (few) failed results.
    sa.Index(
        "ix_check_results_check_failed_created",
        "check_id",
        "created_at",
        sqlite_where=sa.text("has_failures = 1 OR has_errors = 1"),
        postgresql_where=sa.text("has_failures OR has_errors"),
    ),
)

# Screenshots, traces and videos of script runs (vantage.assets), taken out of their result at
# intake; kept as long as results are (retention prunes both by age).
check_result_assets = sa.Table(
    "check_result_assets",
    metadata,
    sa.Column("result_id", Id, nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("account_id", Id, nullable=False),
    sa.Column("check_id", Id, nullable=False),
    sa.Column("asset_type", sa.String(20), nullable=False),
    sa.Column("content_type", sa.String(100), nullable=False),
    sa.Column("size", sa.Integer(), nullable=False),
    sa.Column("data", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("result_id", "name", name="pk_check_result_assets"),
    sa.Index("ix_check_result_assets_created", "created_at"),
    sa.Index("ix_check_result_assets_check", "check_id"),
)

check_statuses = sa.Table(
    "check_statuses",
    metadata,
    sa.Column("check_id", Id, primary_key=True),
    sa.Column("account_id", Id, nullable=False),
    sa.Column("has_failures", sa.Boolean(), nullable=False),
    sa.Column("has_errors", sa.Boolean(), nullable=False),
    sa.Column("is_degraded", sa.Boolean(), nullable=False),
    sa.Column("longest_run", sa.Float(), nullable=True),
    sa.Column("shortest_run", sa.Float(), nullable=True),
    sa.Column("last_run_location", sa.String(100), nullable=True),
    sa.Column("last_check_run_id", sa.BigInteger(), nullable=True),
    sa.Column("last_result_at", UtcDateTime(), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=True),
    # The certificate the check's latest HTTPS run was served (vantage.probes.certificate, with
    # `seenAt`): SSL expiry alerts read it instead of connecting from the server. Kept when a
    # run brings none.
    sa.Column("certificate", NullableJson, nullable=True),
    sa.Index("ix_check_statuses_account", "account_id"),
)

# Run locations. The slug names a location everywhere (jobs, results, checks' `locations`), so it is
# unique across the operator's locations and every account's private ones.
locations = sa.Table(
    "locations",
    metadata,
    sa.Column("slug", sa.String(100), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    # The uuid Checkly's private-location API addresses a location by.
    sa.Column("id", Id, nullable=False, unique=True),
    # NULL for the operator's locations (offered to every account); else the owning account.
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True),
    sa.Column("icon", sa.String(100), nullable=True),
    sa.Column("updated_at", UtcDateTime(), nullable=True),
    # The latest heartbeat of any of its agents.
    sa.Column("last_seen_at", UtcDateTime(), nullable=True),
    # Checkly's `proxyUrl`: the forward proxy its API and URL checks' HTTP requests go through.
    # Sealed (vantage.sealing), since it may carry a user and password; the API caps the URL so
    # that sealed it fits (vantage.locations.schemas.MAX_PROXY_URL_BYTES).
    sa.Column("proxy_url", sa.String(2048), nullable=True),
    sa.Index("ix_locations_account", "account_id"),
)

# A location's queue, sampled every `location_sample_seconds` (vantage.locations.sampling): what
# `/v1/private-locations/{id}/metrics` serves. Kept for Checkly's metrics window (15 days).
location_queue_samples = sa.Table(
    "location_queue_samples",
    metadata,
    sa.Column(
        "location_id",
        Id,
        sa.ForeignKey("locations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("sampled_at", UtcDateTime(), primary_key=True),
    # Runs due and not leased, and how long the oldest of them has waited (ms).
    sa.Column("queue_size", sa.Integer(), nullable=False),
    sa.Column("oldest_wait_ms", sa.Integer(), nullable=False),
    sa.Index("ix_location_queue_samples_sampled_at", "sampled_at"),
)

# Keys that let an agent work for one location, on the agent API only; stored as SHA-256 hashes.
agent_keys = sa.Table(
    "agent_keys",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column(
        "location",
        sa.String(100),
        sa.ForeignKey("locations.slug", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("masked_key", sa.String(40), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index("ix_agent_keys_location", "location"),
)

# Agents seen by their heartbeats: a location's agentCount is its agents seen lately.
agents = sa.Table(
    "agents",
    metadata,
    sa.Column(
        "location",
        sa.String(100),
        sa.ForeignKey("locations.slug", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("last_seen_at", UtcDateTime(), nullable=False),
)

# Checkly's legacy trigger tokens: one per check or per group; the unauthenticated trigger URL
# carries the token, so it is stored as issued (Checkly's clients read it back).
trigger_tokens = sa.Table(
    "trigger_tokens",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    sa.Column(
        "check_id", Id, sa.ForeignKey("checks.id", ondelete="CASCADE"), nullable=True, unique=True
    ),
    sa.Column(
        "group_id",
        sa.Integer(),
        sa.ForeignKey("check_groups.id", ondelete="CASCADE"),
        nullable=True,
        unique=True,
    ),
    sa.Column("token", sa.String(64), nullable=False, unique=True),
    sa.Column("called_at", UtcDateTime(), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=True),
    sqlite_autoincrement=True,
)

# Client certificates for mutual TLS, per host pattern; the key and passphrase sealed
# (vantage.sealing) and never returned.
client_certificates = sa.Table(
    "client_certificates",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("cert", sa.Text(), nullable=False),
    sa.Column("ca", sa.Text(), nullable=True),
    sa.Column("sealed_key", sa.Text(), nullable=True),
    sa.Column("sealed_passphrase", sa.Text(), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index("ix_client_certificates_account", "account_id"),
)

# The account's environment variables (`/v1/variables`); a secret one's value sealed.
variables = sa.Table(
    "variables",
    metadata,
    sa.Column(
        "account_id",
        Id,
        sa.ForeignKey("accounts.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("value", sa.Text(), nullable=False),
    sa.Column("locked", sa.Boolean(), nullable=False),
    sa.Column("secret", sa.Boolean(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=True),
)

# Heartbeat checks by ping token, with the deadline of their next ping; `state` is the last
# outcome written (PASSING after a ping, FAILING after a miss), so each change is written once.
heartbeats = sa.Table(
    "heartbeats",
    metadata,
    sa.Column("check_id", Id, sa.ForeignKey("checks.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("account_id", Id, nullable=False),
    sa.Column("ping_token", sa.String(64), nullable=False, unique=True),
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("last_ping_at", UtcDateTime(), nullable=True),
    # NULL while the check is deactivated.
    sa.Column("deadline_at", UtcDateTime(), nullable=True),
    sa.Index("ix_heartbeats_deadline", "deadline_at"),
)

# Every ping received.
heartbeat_events = sa.Table(
    "heartbeat_events",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("check_id", Id, sa.ForeignKey("checks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("method", sa.String(10), nullable=False),
    sa.Column("source", sa.String(100), nullable=True),
    sa.Column("user_agent", sa.String(500), nullable=True),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.Index("ix_heartbeat_events_check", "check_id", "received_at"),
)

# Rate-limit counters shared by the replicas on PostgreSQL (vantage.limits.counters): one row per
# API key (its hash) and route, the window it counts and the requests in it. SQLite's server counts
# in its own memory and leaves this table empty.
rate_limit_counters = sa.Table(
    "rate_limit_counters",
    metadata,
    sa.Column("key_hash", sa.String(64), primary_key=True),
    sa.Column("route", sa.String(300), primary_key=True),
    # Seconds since the epoch: the replicas compare it with their own clocks.
    sa.Column("window_start", sa.Float(), nullable=False),
    sa.Column("hits", sa.Integer(), nullable=False),
)

# People who log in to the web UI, each in one account with one role.
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    # Stored lower-cased: one person, one row, whatever case they type.
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    # argon2id, in the encoded form argon2-cffi writes (parameters and salt included).
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("password_changed_at", UtcDateTime(), nullable=False),
    # When the role last changed (the members API); null until it does.
    sa.Column("updated_at", UtcDateTime(), nullable=True),
    sa.Index("ix_users_account", "account_id"),
)

# Logged-in browsers. Only a SHA-256 of the cookie's token is kept: a dump logs nobody in.
ui_sessions = sa.Table(
    "ui_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("last_seen_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Index("ix_ui_sessions_user", "user_id"),
)

# FINAL results summed per check x location x time bucket (60 s, 1 h, 1 day), written by the
# intake in the result's transaction. Pages read these, never a scan of raw results, and they
# outlive the raw results' retention (each bucket size has its own age: `rollups/keeping.py`).
# The response-time histogram is fixed columns (bounds in `rollups/digest.py`), so writing one is
# a single additive upsert and buckets merge by addition.
ROLLUP_HISTOGRAM_BINS = 20
ROLLUP_PHASES = ("wait", "dns", "tcp", "tls", "first_byte", "download")
result_rollups = sa.Table(
    "result_rollups",
    metadata,
    sa.Column("check_id", Id, primary_key=True),
    sa.Column("location", sa.String(100), primary_key=True),
    sa.Column("bucket_seconds", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("bucket_start", UtcDateTime(), primary_key=True),
    sa.Column("account_id", Id, nullable=False),
    sa.Column("finals", sa.Integer(), nullable=False),
    sa.Column("passed", sa.Integer(), nullable=False),
    sa.Column("degraded", sa.Integer(), nullable=False),
    sa.Column("failed", sa.Integer(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("rt_sum", sa.Float(), nullable=False),
    *(
        sa.Column(f"h{i:02d}", sa.Integer(), nullable=False, server_default="0")
        for i in range(ROLLUP_HISTOGRAM_BINS)
    ),
    # Timing phases (HTTP results that measured them): how many, and each phase's summed ms, so a
    # chart shows the average phase per bucket. Names in `rollups/digest.py: PHASES`.
    sa.Column("phase_count", sa.Integer(), nullable=False, server_default="0"),
    *(
        sa.Column(f"phase_{name}", sa.Float(), nullable=False, server_default="0")
        for name in ROLLUP_PHASES
    ),
    # FINAL results taken in a maintenance window: counted here only, not in finals and the rest.
    sa.Column("maintenance", sa.Integer(), nullable=False, server_default="0"),
    sa.Index("ix_result_rollups_bucket", "check_id", "bucket_seconds", "bucket_start"),
    # Retention deletes each bucket size's rows past their age, oldest first.
    sa.Index("ix_result_rollups_age", "bucket_seconds", "bucket_start"),
)

# Alert channels (Checkly's integer ids): where notifications go, one row per channel.
alert_channels = sa.Table(
    "alert_channels",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("type", sa.String(20), nullable=False),
    # The type's config as Checkly's JSON, secrets in plaintext (responses mask them).
    sa.Column("config", Json, nullable=False),
    sa.Column("send_recovery", sa.Boolean(), nullable=False),
    sa.Column("send_failure", sa.Boolean(), nullable=False),
    sa.Column("send_degraded", sa.Boolean(), nullable=False),
    sa.Column("ssl_expiry", sa.Boolean(), nullable=False),
    sa.Column("ssl_expiry_threshold", sa.Integer(), nullable=False),
    sa.Column("auto_subscribe", sa.Boolean(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=True),
    sa.Index("ix_alert_channels_account_created", "account_id", "created_at"),
    sqlite_autoincrement=True,
)

# Who listens to a channel: a check or a group (exactly one). The channel's `subscriptions` and the
# checks' and groups' `alertChannelSubscriptions` are two views of these rows.
alert_channel_subscriptions = sa.Table(
    "alert_channel_subscriptions",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, nullable=False),
    sa.Column(
        "alert_channel_id",
        sa.Integer(),
        sa.ForeignKey("alert_channels.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("check_id", Id, sa.ForeignKey("checks.id", ondelete="CASCADE"), nullable=True),
    sa.Column(
        "group_id",
        sa.Integer(),
        sa.ForeignKey("check_groups.id", ondelete="CASCADE"),
        nullable=True,
    ),
    sa.Column("activated", sa.Boolean(), nullable=False),
    sa.CheckConstraint("(check_id IS NULL) <> (group_id IS NULL)", name="one_target"),
    sa.UniqueConstraint("alert_channel_id", "check_id", name="uq_alert_subscriptions_check"),
    sa.UniqueConstraint("alert_channel_id", "group_id", name="uq_alert_subscriptions_group"),
    sa.Index("ix_alert_channel_subscriptions_check", "check_id"),
    sa.Index("ix_alert_channel_subscriptions_group", "group_id"),
    sqlite_autoincrement=True,
)

# Each check's alerting state: what its runs say and what its channels were last told. Written in
# the result's transaction, under the row's lock, so two replicas never decide one run twice.
check_alert_states = sa.Table(
    "check_alert_states",
    metadata,
    sa.Column("check_id", Id, sa.ForeignKey("checks.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("account_id", Id, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("notified", sa.String(10), nullable=False),
    sa.Column("consecutive_failed", sa.Integer(), nullable=False),
    sa.Column("consecutive_degraded", sa.Integer(), nullable=False),
    sa.Column("failing_since", UtcDateTime(), nullable=True),
    sa.Column("degraded_since", UtcDateTime(), nullable=True),
    sa.Column("episode", sa.Integer(), nullable=False),
    sa.Column("reminders_sent", sa.Integer(), nullable=False),
    sa.Column("next_reminder_at", UtcDateTime(), nullable=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    # TIME_BASED thresholds: when an unannounced failure is judged again without a run.
    sa.Column("escalate_at", UtcDateTime(), nullable=True),
    # What the incident announced (policy.ANNOUNCED_*): its recovery goes to who heard it.
    sa.Column("announced", sa.SmallInteger(), nullable=False, server_default="0"),
    sa.Index("ix_check_alert_states_reminder", "next_reminder_at"),
    sa.Index("ix_check_alert_states_escalate", "escalate_at"),
)

# The outbox: one row per notification to one channel, inserted in the transaction that decided
# it; delivered by whichever replica claims it (lease + token fencing), retried with backoff.
alert_notifications = sa.Table(
    "alert_notifications",
    metadata,
    # The order of delivery per (channel, check).
    sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
    # The idempotency key receivers see (webhook-id, Message-ID): stable across retries.
    sa.Column("id", Id, nullable=False, unique=True),
    sa.Column("account_id", Id, nullable=False),
    sa.Column(
        "alert_channel_id",
        sa.Integer(),
        sa.ForeignKey("alert_channels.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("check_id", Id, nullable=False),
    sa.Column("alert_type", sa.String(40), nullable=False),
    sa.Column("channel_type", sa.String(20), nullable=False),
    # PENDING -> IN_PROGRESS (leased) -> SUCCESS | FAILURE | RATE_LIMITED; PENDING again to retry.
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
    sa.Column("lease_owner", sa.String(100), nullable=True),
    sa.Column("lease_until", UtcDateTime(), nullable=True),
    sa.Column("lease_token", sa.Integer(), nullable=False),
    # The template variables of the event, and the channel as it was when the event happened.
    sa.Column("context", Json, nullable=False),
    sa.Column("channel", Json, nullable=False),
    sa.Column("result", sa.Text(), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("sent_at", UtcDateTime(), nullable=True),
    sa.Index("ix_alert_notifications_due", "status", "next_attempt_at"),
    sa.Index("ix_alert_notifications_order", "alert_channel_id", "check_id", "seq"),
    sa.Index("ix_alert_notifications_account", "account_id", "created_at"),
    sqlite_autoincrement=True,
)

# Maintenance windows: while one is active, the checks and groups it names (by tag) alert nobody.
maintenance_windows = sa.Table(
    "maintenance_windows",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    # The window as Checkly's JSON.
    sa.Column("config", Json, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=True),
    sa.Index("ix_maintenance_windows_account", "account_id"),
    sqlite_autoincrement=True,
)

# What was done to one occurrence of a window (`/v1/maintenance-windows/{id}/maintenances/{mid}`):
# deleted, moved, or given status updates. The schedule itself stays in the window's config; a
# row stands for the occurrence the schedule starts at `scheduled_start` (its id is derived from
# that start, alerting/maintenances.py), so an occurrence without a row is as scheduled.
maintenance_occurrences = sa.Table(
    "maintenance_occurrences",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column(
        "window_id",
        sa.Integer(),
        sa.ForeignKey("maintenance_windows.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("scheduled_start", UtcDateTime(), nullable=False),
    sa.Column("deleted", sa.Boolean(), nullable=False),
    # Where a PATCH moved it (both or neither).
    sa.Column("starts_at", UtcDateTime(), nullable=True),
    sa.Column("ends_at", UtcDateTime(), nullable=True),
    # Its status updates in Checkly's shape, oldest first.
    sa.Column("updates", Json, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_maintenance_occurrences_window", "window_id"),
)

# Checkly's snippets (`/v1/snippets`): named scripts that checks' and groups' setup and teardown
# name by id. Stored and served; Vantage does not run scripts.
snippets = sa.Table(
    "snippets",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("script", sa.Text(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=True),
    sa.Index("ix_snippets_account", "account_id"),
    sqlite_autoincrement=True,
)

# Alert events (`/v1/check-alerts`): one row per alert a check raised, whoever heard it.
check_alerts = sa.Table(
    "check_alerts",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("account_id", Id, nullable=False),
    sa.Column("check_id", Id, sa.ForeignKey("checks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(500), nullable=False),
    sa.Column("alert_type", sa.String(40), nullable=False),
    sa.Column("check_type", sa.String(20), nullable=False),
    sa.Column("run_location", sa.String(100), nullable=True),
    sa.Column("response_time", sa.Float(), nullable=True),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("status_code", sa.Integer(), nullable=True),
    sa.Column("started_at", UtcDateTime(), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Index("ix_check_alerts_account_created", "account_id", "created_at"),
    sa.Index("ix_check_alerts_check_created", "check_id", "created_at"),
)

# Status pages (Checkly's `/v1/status-pages`). A service is what a page shows a status for; checks
# feed it through their `triggerIncident.serviceId`.
status_page_services = sa.Table(
    "status_page_services",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=True),
    sa.Index("ix_status_page_services_account_created", "account_id", "created_at"),
)

# The page's `url` and `customDomain` address it publicly, so each is unique across accounts.
status_pages = sa.Table(
    "status_pages",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("url", sa.String(255), nullable=False, unique=True),
    sa.Column("custom_domain", sa.String(255), nullable=True, unique=True),
    # The page's other fields as Checkly's JSON (name, description, theme, logos, isPrivate).
    sa.Column("config", Json, nullable=False),
    # [{id, name, services: [service id], created_at, updated_at}], in the page's order.
    sa.Column("cards", Json, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=True),
    sa.Index("ix_status_pages_account_created", "account_id", "created_at"),
)

status_page_incidents = sa.Table(
    "status_page_incidents",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("severity", sa.String(10), nullable=False),
    # The ids of the services it affects.
    sa.Column("services", Json, nullable=False),
    sa.Column("last_update_status", sa.String(20), nullable=False),
    # The check whose `triggerIncident` opened it: its recovery resolves it.
    sa.Column("check_id", Id, nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=True),
    sa.Column("resolved_at", UtcDateTime(), nullable=True),
    sa.Index("ix_status_page_incidents_account_created", "account_id", "created_at"),
    sa.Index("ix_status_page_incidents_check", "check_id", "resolved_at"),
)

status_page_incident_updates = sa.Table(
    "status_page_incident_updates",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column(
        "incident_id",
        Id,
        sa.ForeignKey("status_page_incidents.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("description", sa.Text(), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("public_at", UtcDateTime(), nullable=False),
    sa.Column("notify_subscribers", sa.Boolean(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=True),
    sa.Index("ix_status_page_incident_updates_incident", "incident_id", "created_at"),
)

# Email subscribers of a page: PENDING until the link in the confirmation mail is followed.
# The token confirms and unsubscribes; it is kept as is, because every incident mail carries it
# in its unsubscribe link (it grants nothing else).
status_page_subscriptions = sa.Table(
    "status_page_subscriptions",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column(
        "status_page_id", Id, sa.ForeignKey("status_pages.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("account_id", Id, nullable=False),
    sa.Column("type", sa.String(10), nullable=False),
    sa.Column("address", sa.String(320), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("token", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("status_page_id", "address", name="uq_status_page_subscriptions_address"),
)

# Public dashboards (Checkly's `/v1/dashboards`): integer ids and a string `dashboardId`.
dashboards = sa.Table(
    "dashboards",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("dashboard_id", sa.String(32), nullable=False, unique=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("custom_url", sa.String(255), nullable=True, unique=True),
    sa.Column("custom_domain", sa.String(255), nullable=True, unique=True),
    # Every other field as Checkly's JSON.
    sa.Column("config", Json, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=True),
    sa.Index("ix_dashboards_account_created", "account_id", "created_at"),
    sqlite_autoincrement=True,
)

# Mail to subscribers (confirmations, incident updates), queued in the transaction that caused it
# and sent by a delivery loop over the alerting's SMTP settings: intake never waits for SMTP.
status_page_emails = sa.Table(
    "status_page_emails",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("account_id", Id, nullable=False),
    sa.Column("address", sa.String(320), nullable=False),
    sa.Column("subject", sa.String(500), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    # The unsubscribe URL (List-Unsubscribe), when the mail goes to a verified subscriber.
    sa.Column("unsubscribe", sa.String(2048), nullable=True),
    # PENDING -> SENDING (claimed until `next_attempt_at`) -> SENT | FAILED; PENDING again to retry.
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
    sa.Column("result", sa.Text(), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("sent_at", UtcDateTime(), nullable=True),
    sa.Index("ix_status_page_emails_due", "status", "next_attempt_at"),
)

# A dashboard's incidents (Checkly's v1 `/v1/incidents`), with their updates as a JSON list.
dashboard_incidents = sa.Table(
    "dashboard_incidents",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    sa.Column(
        "dashboard_id",
        sa.Integer(),
        sa.ForeignKey("dashboards.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # name, impact, startedAt, stoppedAt as Checkly's JSON
    sa.Column("config", Json, nullable=False),
    # [{id, status, description, created_at, updated_at}], oldest first
    sa.Column("updates", Json, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=True),
    sa.Index("ix_dashboard_incidents_dashboard", "dashboard_id", "created_at"),
)

# Checkly CLI projects (`checkly deploy`): a project is an account's, named by its logicalId.
projects = sa.Table(
    "projects",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("logical_id", sa.String(255), nullable=False),
    sa.Column("name", sa.String(500), nullable=False),
    sa.Column("repo_url", sa.String(2048), nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=True),
    sa.UniqueConstraint("account_id", "logical_id", name="uq_projects_account_logical"),
)

# What a project's deploys made: a construct (type + logicalId) and the object it became. Only
# objects named here are ever changed or deleted by a deploy; the API's and Terraform's never are.
project_resources = sa.Table(
    "project_resources",
    metadata,
    sa.Column("project_id", Id, sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    sa.Column("type", sa.String(60), nullable=False),
    sa.Column("logical_id", sa.String(255), nullable=False),
    # The check's uuid, the group's or channel's number, the location's id...; null for the
    # assignments and subscriptions, which live on their check or group.
    sa.Column("physical_id", sa.String(64), nullable=True),
    # SHA-256 of the construct's payload as last deployed: an unchanged construct is not rewritten.
    sa.Column("payload_hash", sa.String(64), nullable=False),
    sa.PrimaryKeyConstraint("project_id", "type", "logical_id", name="pk_project_resources"),
)

# One deploy or destroy of a project; the CLI follows it by id (`/events`, `/completion`).
project_deployments = sa.Table(
    "project_deployments",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("logical_id", sa.String(255), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("dry_run", sa.Boolean(), nullable=False),
    sa.Column("error", Json, nullable=True),
    sa.Column("result", Json, nullable=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("ended_at", UtcDateTime(), nullable=True),
    sa.Column("started_at", UtcDateTime(), nullable=True),
    sa.Column("cancel_requested_at", UtcDateTime(), nullable=True),
    sa.Index("ix_project_deployments_account_logical", "account_id", "logical_id"),
    # One unfinished deployment per project: a second deploy meanwhile is a 409 naming it.
    sa.Index(
        "uq_project_deployments_unfinished",
        "account_id",
        "logical_id",
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    ),
)

# Code bundles the CLI uploads (`/next/checkly-storage/upload-code-bundle`), by content hash.
code_bundles = sa.Table(
    "code_bundles",
    metadata,
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.Integer(), nullable=False),
    sa.Column("data", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("account_id", "sha256", name="pk_code_bundles"),
)
