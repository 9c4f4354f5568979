"""Numeric limits, each in one place and named with its unit: what the columns hold, what
the API takes, what the protocols allow. Validation, the API's schemas and the tables all
read them here, so a limit cannot drift between the door and the column. Pure."""

from __future__ import annotations

# Integer columns (sa.Integer) are 32-bit; ids (BigInteger on PostgreSQL) are 64-bit.
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
INT32_DIGITS = len(str(INT32_MAX))  # more digits than this can never fit
INT64_DIGITS = len(str(INT64_MAX))
# Ids and cursors as text: any number of this many digits fits a 64-bit id.
ID_DIGITS_MAX = INT64_DIGITS - 1

# A client (tenant) id: the clients table's CHECK, the paths, the seed's vdnId.
CLIENT_ID_MIN = 1
CLIENT_ID_MAX = 9999
CLIENT_ID_DIGITS = len(str(CLIENT_ID_MAX))

# Tasks.
TRY_COUNT_MAX = 50
NAME_CHARS_MAX = 200  # a task's or scheduler's name (their columns' size)
URL_CHARS_MAX = 2000
# Sent as the SIP display name and copied into every event: a caller ID, not a document.
CALLER_ID_NAME_CHARS_MAX = 64
EXTENDED_A_NUMBERS_MAX = 10

# The "reschedule record" page.
RECORD_TEXT_CHARS_MAX = 500
EPOCH_S_MAX = 253402300799  # 9999-12-31 23:59:59 UTC

# SIP accounts: the sip_accounts columns' sizes.
SIP_USERNAME_CHARS_MAX = 100
SIP_PASSWORD_CHARS_MAX = 200
SIP_DOMAIN_CHARS_MAX = 200
SIP_TRUNK_CHARS_MAX = 300  # the column
# A trunk as sent: "sip:" and the longest DNS name (253), so no host it holds is too long.
SIP_TRUNK_INPUT_CHARS_MAX = 4 + 253

# TCP and UDP ports (0 only where a protocol gives it a meaning, as SDP does).
PORT_MIN = 1
PORT_MAX = 65535
PORT_DIGITS = len(str(PORT_MAX))

# The API.
PAGE_ROWS_MAX = 1000
# An Idempotency-Key header: printable ASCII, as long as a UUID or a client's own scheme.
IDEMPOTENCY_KEY_CHARS_MAX = 255
IDEMPOTENCY_KEPT_S = 24 * 3600
# Bodies that hold one small object (a batch pause, a record reschedule, a SIP account).
SMALL_BODY_BYTES_MAX = 64 * 1024
