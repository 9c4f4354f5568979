"""What a worker process works with, built once per process from its settings."""

from __future__ import annotations

import os
from dataclasses import dataclass

import sqlalchemy as sa

from models import settings as settings_module
from models.settings import Settings
from models.storage import db
from worker.dialers.base import Dialer
from worker.dialers.sim import Scenario, SimDialer
from worker.dialers.sip import SipDialer
from worker.webhook_senders import HttpWebhookSender, WebhookSender


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engine: sa.Engine
    dialer: Dialer
    webhook_sender: WebhookSender  # tests without a network pass the recording twin


def build(settings: Settings) -> Runtime:
    """A process's runtime: the settings' database, dialer and the real webhook sender."""
    sender = build_webhook_sender(settings)
    engine = db.create_engine(settings.database_url)
    return Runtime(settings, engine, build_dialer(settings, engine), sender)


def build_webhook_sender(settings: Settings) -> WebhookSender:
    return HttpWebhookSender(settings.webhook_timeout_s, settings.webhook_allow_private)


def build_dialer(settings: Settings, engine: sa.Engine) -> Dialer:
    if settings.dialer == "sim":
        return SimDialer(engine, Scenario.load(settings.sim_scenario), settings.sim_dial_log)
    if settings.dialer == "sip":
        return SipDialer(engine)
    raise ValueError(f"RINGBACK_DIALER: unknown dialer {settings.dialer!r}; known: sim, sip")


_settings: Settings | None = None
_runtime: tuple[int, Runtime] | None = None


def process_settings() -> Settings:
    """This process's settings, read from the environment the first time they are needed."""
    global _settings
    if _settings is None:
        _settings = settings_module.load()
    return _settings


def current() -> Runtime:
    """This process's runtime; rebuilt after a fork so no connection crosses processes."""
    global _runtime
    pid = os.getpid()
    if _runtime is None or _runtime[0] != pid:
        _runtime = (pid, build(process_settings()))
    return _runtime[1]
