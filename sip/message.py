"""SIP messages: the public face of the message modules (codec, headers, address, via,
framer, builders), so callers import everything message-related from one place."""

from __future__ import annotations

from sip.address import (
    AbsoluteUri,
    NameAddr,
    SipUri,
    Uri,
    parse_any_uri,
    parse_name_addr,
    parse_uri,
)
from sip.builders import build_cancel, build_non2xx_ack, build_response
from sip.codec import (
    MAX_HEADER_COUNT,
    MAX_LINE_BYTES,
    MAX_MESSAGE_BYTES,
    Message,
    Request,
    Response,
    parse,
    serialize,
)
from sip.framer import StreamFramer
from sip.grammar import Params, ParseError
from sip.headers import COMPACT_FORMS, Headers, canonical_name
from sip.via import BRANCH_MAGIC_COOKIE, Via, new_branch, parse_cseq, parse_via

__all__ = [
    "BRANCH_MAGIC_COOKIE",
    "COMPACT_FORMS",
    "MAX_HEADER_COUNT",
    "MAX_LINE_BYTES",
    "MAX_MESSAGE_BYTES",
    "AbsoluteUri",
    "Headers",
    "Message",
    "NameAddr",
    "Params",
    "ParseError",
    "Request",
    "Response",
    "SipUri",
    "StreamFramer",
    "Uri",
    "Via",
    "build_cancel",
    "build_non2xx_ack",
    "build_response",
    "canonical_name",
    "new_branch",
    "parse",
    "parse_any_uri",
    "parse_cseq",
    "parse_name_addr",
    "parse_uri",
    "parse_via",
    "serialize",
]
