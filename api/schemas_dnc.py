"""The OpenAPI description of do-not-call lists. Validation itself is api/dnc.py's (with
models.rules.dnc reading numbers); these describe it."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from models.rules import dnc

SEED_TIME_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}(:[0-9]{2})?$"
REGION_PATTERN = r"^[A-Z]{2}$"
# A page's cursor: the last number of the page before, as E.164.
E164_PATTERN = r"^\+[0-9]{1,23}$"


class DncAddIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    numbers: list[Annotated[str, Field(pattern=dnc.NATIONAL_PATTERN,
                                       max_length=dnc.NUMBER_CHARS_MAX)]] = Field(
        min_length=1, max_length=dnc.NUMBERS_PER_REQUEST_MAX,
        description=("phone numbers in international format (+ and the country code; "
                     "spaces, dots, dashes and brackets allowed), or without + when "
                     "region is given; stored as E.164, so +1 (555) 010-0001, "
                     "+15550100001 and (555) 010-0001 in US are one entry"))
    expires_at: str | None = Field(None, pattern=SEED_TIME_PATTERN, description=(
        "UTC, YYYY-MM-DD HH:MM:SS, in the future: the entries block nothing from then on; "
        "null: until removed. Adding a listed number again sets its expiry"))
    region: str | None = Field(None, pattern=REGION_PATTERN, description=(
        "ISO 3166-1 alpha-2 code libphonenumber knows (US, FR): numbers without + are "
        "national numbers there; null: every number must start with +"))


class DncAddOut(BaseModel):
    added: int
    numbers: list[str] = Field(description="as stored (E.164), without repeats")
    expires_at: str | None


class DncEntryOut(BaseModel):
    number: str = Field(description="E.164")
    expires_at: str | None
    create_date_utc: str
    in_force: bool = Field(description="false once expires_at has passed")


class DncPage(BaseModel):
    entries: list[DncEntryOut] = Field(description="the client's own entries, in number order")
    next_cursor: str | None = Field(description="pass back as cursor for the next page")
    number: str | None = Field(None, description="with ?number=: the number looked up, E.164")
    blocked: bool | None = Field(None, description=(
        "with ?number=: whether a list in force (the client's or the installation's) holds it"))
    blocked_by: str | None = Field(None, description="with ?number=: client or installation")
