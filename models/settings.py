"""The one settings object, read from ``RINGBACK_*`` environment variables at process start."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _embedded_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'ringback.sqlite'}"


def embedded_broker_url() -> str:
    """The broker when none is configured: `ringback run` replaces it by a server of its
    own when it can (api/embedded.py); SQLite otherwise."""
    return f"sqla+sqlite:///{Path.cwd() / 'ringback-broker.sqlite'}"


class Settings(BaseSettings):
    """Everything a Ringback process needs to know about its surroundings."""

    model_config = SettingsConfigDict(env_prefix="RINGBACK_", extra="ignore")

    database_url: str = Field(default_factory=_embedded_database_url)
    broker_url: str = Field(default_factory=embedded_broker_url)
    # kombu's Redis transport redelivers unacked messages after this; place_calls is guarded.
    broker_visibility_timeout_s: int = 3600

    dialer: str = "sim"  # sim, or sip (calls placed by `ringback sip` controllers)
    sim_scenario: Path | None = None
    sim_dial_log: Path | None = None

    # The SIP call controller (`ringback sip`). Every INVITE goes to the trunk, a SIP URI
    # (sip:host:port;transport=udp|tcp); the Request-URI is sip:<number>@<trunk host:port>.
    sip_trunk: str | None = None
    sip_listen: str = "0.0.0.0:5060"  # host:port the controller binds (UDP and TCP)
    # The address put in Via and Contact; by default the listen address, or this host's
    # address towards the trunk when listening on every address.
    sip_advertise: str | None = None
    sip_username: str | None = None  # the default account (tasks with no extension)
    sip_password: str | None = None
    sip_domain: str | None = None  # From host; the trunk's host when unset
    sip_a_ring_timeout_s: float = 30.0
    sip_b_ring_timeout_s: float = 45.0
    sip_max_call_s: float = 3600.0
    sip_t1_s: float = 0.5  # RFC 3261 T1; Timer B (no answer at all) is 64*T1
    # Names this controller's calls, so a restarted one finds the calls it held; by default
    # this host's name and the listen address.
    sip_controller_id: str | None = None
    # A controller silent this long is dead: another takes over (ends) the calls it held.
    sip_controller_timeout_s: float = 15.0
    # Calls one controller sets up at once (INVITEs out, not yet connected); the rest wait
    # queued, so a burst never makes the controller answer later than T1.
    sip_max_setups: int = 200

    # A try starts only when the called party's calling window stays open this long after
    # (else it waits for the next opening), and is not placed later than that: the A leg
    # rings up to sip_a_ring_timeout_s before B is rung, so B is never rung after the close.
    calling_window_margin_s: float = 30.0

    # An attempt still `claimed` this long after its message was sent is sent again.
    claimed_resend_after_s: float = 60.0
    # The longest a call may ring and talk; past it plus the grace, a dialing attempt is lost.
    call_timeout_s: float = 3600.0
    lost_grace_s: float = 60.0
    # A try's call no dialer has taken this long after it was queued is abandoned, and the
    # try made again without counting it (its worker died before placing it).
    unplaced_after_s: float = 30.0

    # The longest beat's dispatcher waits between two rounds; it runs sooner when a task
    # falls due (see models/dispatch_timing.py).
    dispatch_interval_s: float = 0.25
    reap_interval_s: float = 5.0
    # An accepted action not applied by then (its message was lost) is applied by the sweep.
    action_sweep_after_s: float = 10.0
    poll_calls_interval_s: float = 1.0
    dispatch_batch_max: int = 1000
    # Per scheduler: claimed tries whose message no worker has taken yet (see pacing).
    max_pending_claims: int = 200
    beat_schedule_file: Path | None = None

    deliver_events_interval_s: float = 1.0
    webhook_timeout_s: float = 10.0
    # Loopback, private, link-local and metadata targets are refused unless this is set
    # (tests and local demos whose receivers listen on 127.0.0.1).
    webhook_allow_private: bool = False
    webhook_retry_base_s: float = 5.0
    webhook_retry_cap_s: float = 3600.0
    webhook_max_attempts: int = 20
    webhook_concurrency: int = 32
    webhook_secret_overlap_s: float = 86400.0

    metrics_token: str | None = None  # when set, /metrics needs `Bearer <it>`
    # With no token, /metrics answers 401 unless opened explicitly (`ringback run` opens it
    # on a loopback address: a laptop run).
    metrics_open: bool = False
    log_format: str = "json"  # json, or text

    max_tasks_per_request: int = 100_000
    max_request_bytes: int = 64 * 1024 * 1024
    # Per client, per API process: a token bucket refilled at this rate, this deep.
    api_rate_per_s: float = 50.0
    api_rate_burst: int = 100
    # Per source address, per API process: failed token checks allowed, then 429.
    api_auth_failures_per_s: float = 1.0
    api_auth_failure_burst: int = 20

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load() -> Settings:
    """Build the settings from the environment; call once at process start."""
    return Settings()


def child_environment(overrides: dict[str, str]) -> dict[str, str]:
    """The environment for processes this one starts: its own, with ``overrides``."""
    return {**os.environ, **overrides}
