"""The OpenAPI description of SIP accounts and call records. Validation itself is
models.account_input's; these describe it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from models.rules import limits

# The username goes into a SIP URI's user part and a quoted digest parameter.
SIP_USERNAME_PATTERN = r'^[^\s@:;,<>"\\\x00-\x1f\x7f-\x9f]+$'
SIP_PASSWORD_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]+$"
SIP_TRUNK_PATTERN = r"^sip:[^@;\s]+(;transport=(udp|tcp))?$"


class SipAccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    extension_id: int = Field(ge=1, le=limits.INT32_MAX,
                              description="the task field that chooses this account")
    username: str = Field(min_length=1, max_length=limits.SIP_USERNAME_CHARS_MAX,
                          pattern=SIP_USERNAME_PATTERN,
                          description="the digest username and the From user part")
    password: str = Field(min_length=1, max_length=limits.SIP_PASSWORD_CHARS_MAX,
                          pattern=SIP_PASSWORD_PATTERN,
                          description="write-only: never shown again")
    domain: str | None = Field(None, max_length=limits.SIP_DOMAIN_CHARS_MAX, description=(
        "the From host (a host name or IP address); null: the trunk's host"))
    trunk: str | None = Field(
        None, max_length=limits.SIP_TRUNK_CHARS_MAX, pattern=SIP_TRUNK_PATTERN,
        description=("sip:host[:port][;transport=udp|tcp], port "
                     f"{limits.PORT_MIN}..{limits.PORT_MAX}; null: the controller's trunk"))


class SipAccountOut(BaseModel):
    extension_id: int
    username: str
    domain: str | None = Field(description="as stored: a DNS name's ASCII form, IPv6 bare")
    trunk: str | None
    password_set: bool = Field(description="always true: the password is write-only")
    create_date_utc: str


class SipAccountList(BaseModel):
    accounts: list[SipAccountOut] = Field(description="in extension order")


class CallOutcomeOut(BaseModel):
    a_answered: bool
    b_answered: bool
    failed_leg: str | None = Field(description="A or B: the leg that ended the call unanswered")
    cause: str | None = Field(description="busy, no_answer, failed or rejected")
    failed_number: str | None
    code: int | None = Field(description="the SIP status code that ended it, if any")
    reason: str | None


class CallLegOut(BaseModel):
    leg: str = Field(description="A (rung first) or B")
    number: str
    call_id: str = Field(description="the SIP Call-ID of its INVITE")
    invite_time: str | None
    ringing_time: str | None = Field(description="the first 18x")
    answer_time: str | None
    end_time: str | None
    status_code: int | None = Field(description="the final response to the INVITE")
    reason: str | None
    hangup_by: str | None = Field(description="ringback or peer")


class CallRecord(BaseModel):
    call_uuid: str
    task_id: int
    scheduler_id: int
    attempt_no: int
    status: str = Field(description="queued, placed, ended, abandoned or lost")
    dialer: str
    queued_time: str | None = Field(description="ISO 8601 UTC with milliseconds")
    placed_time: str | None
    end_time: str | None
    talk_seconds: float = Field(description="0 unless A and B connected")
    outcome: CallOutcomeOut | None
    legs: list[CallLegOut] = Field(description="one per INVITE sent, in the order sent")
