"""The OpenAPI description of SIP accounts and call records. Validation itself is
models.account_input's; these describe it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from models.rules import limits

# The username goes into a SIP URI's user part and a quoted digest parameter.
SIP_USERNAME_PATTERN = r'^[^\s@:;,<>"\\\x00-\x1f\x7f-\x9f]+$'
SIP_PASSWORD_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]+$"
# Hosts as the API takes them, in their ASCII form (a name's Unicode form is taken too, and
# stored as IDNA): RFC 3261's hostname (labels of at most 63 letters, digits and inner
# hyphens, the last starting with a letter), an IPv4 address, or an IPv6 address.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TOP_LABEL = r"[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = rf"(?:{_LABEL}\.)*{_TOP_LABEL}"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4 = rf"(?:{_OCTET}\.){{3}}{_OCTET}"
_H16 = r"[0-9A-Fa-f]{1,4}"
_IPV6 = "(?:" + "|".join((
    rf"(?:{_H16}:){{7}}{_H16}", rf"(?:{_H16}:){{1,7}}:", rf"(?:{_H16}:){{1,6}}:{_H16}",
    rf"(?:{_H16}:){{1,5}}(?::{_H16}){{1,2}}", rf"(?:{_H16}:){{1,4}}(?::{_H16}){{1,3}}",
    rf"(?:{_H16}:){{1,3}}(?::{_H16}){{1,4}}", rf"(?:{_H16}:){{1,2}}(?::{_H16}){{1,5}}",
    rf"{_H16}:(?::{_H16}){{1,6}}", rf":(?:(?::{_H16}){{1,7}}|:)")) + ")"
_PORT = (r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}"
         r"|[1-9][0-9]{0,3})")
_TRANSPORT = r"[Tt][Rr][Aa][Nn][Ss][Pp][Oo][Rr][Tt]=(?:[Uu][Dd][Pp]|[Tt][Cc][Pp])"
SIP_DOMAIN_PATTERN = rf"^(?:{_HOST_NAME}|{_IPV4}|{_IPV6}|\[{_IPV6}\])$"
SIP_TRUNK_PATTERN = (rf"^[Ss][Ii][Pp]:(?:{_HOST_NAME}|{_IPV4}|\[{_IPV6}\])(?::{_PORT})?"
                     rf"(?:;{_TRANSPORT})?$")


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
    domain: str | None = Field(None, max_length=limits.SIP_DOMAIN_CHARS_MAX,
                               pattern=SIP_DOMAIN_PATTERN, description=(
        "the From host (a host name or IP address); null: the trunk's host"))
    trunk: str | None = Field(
        None, max_length=limits.SIP_TRUNK_INPUT_CHARS_MAX, pattern=SIP_TRUNK_PATTERN,
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
