"""Hypothesis strategies for valid SIP messages."""

from __future__ import annotations

from hypothesis import strategies as st

from sip.message import Headers, NameAddr, Request, Response, SipUri, Via, canonical_name

TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~"
RESERVED_NAMES = {"via", "from", "to", "call-id", "cseq", "content-length"}

tokens = st.text(alphabet=TOKEN_ALPHABET, min_size=1, max_size=16)
labels = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10)
hostnames = st.lists(labels, min_size=1, max_size=4).map(".".join)
hosts = st.one_of(
    hostnames,
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda address: address.compressed),
)
ports = st.none() | st.integers(min_value=1, max_value=65535)
users = st.none() | st.text(alphabet=TOKEN_ALPHABET + "&=+$,", min_size=1, max_size=12)
uri_params = st.lists(st.tuples(tokens.map(str.lower), st.none() | tokens), max_size=3).map(tuple)
sip_uris = st.builds(SipUri, st.sampled_from(["sip", "sips"]), users, hosts, ports, uri_params)
# Printable text without line breaks: what a header value or display name may hold.
line_text = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=30).map(
    str.strip
)
display_names = st.none() | line_text


def name_addrs(tag: st.SearchStrategy[str | None]) -> st.SearchStrategy[NameAddr]:
    params = tag.map(lambda value: () if value is None else (("tag", value),))
    return st.builds(NameAddr, display_names, sip_uris, params)


vias = st.builds(
    Via,
    st.sampled_from(["UDP", "TCP", "TLS", "WS"]),
    hosts,
    ports,
    tokens.map(lambda token: (("branch", "z9hG4bK" + token), ("rport", None))),
)
extra_headers = st.lists(
    st.tuples(
        tokens.filter(lambda name: canonical_name(name).lower() not in RESERVED_NAMES),
        line_text,
    ),
    max_size=6,
)
methods = st.sampled_from(["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "INFO"]) | tokens.map(
    str.upper
)
bodies = st.binary(max_size=300)


@st.composite
def headers_for(draw: st.DrawFn, method: str) -> Headers:
    headers = Headers()
    for via in draw(st.lists(vias, min_size=1, max_size=3)):
        headers.add("Via", str(via))
    headers.add("From", str(draw(name_addrs(tokens))))
    headers.add("To", str(draw(name_addrs(st.none() | tokens))))
    headers.add("Call-ID", draw(tokens))
    headers.add("CSeq", f"{draw(st.integers(0, 2**31 - 1))} {method}")
    for name, value in draw(extra_headers):
        headers.add(name, value)
    return headers


@st.composite
def requests(draw: st.DrawFn) -> Request:
    method = draw(methods)
    uri = str(draw(sip_uris))
    return Request(method, uri, draw(headers_for(method)), draw(bodies))


@st.composite
def responses(draw: st.DrawFn) -> Response:
    method = draw(methods)
    status = draw(st.integers(100, 699))
    return Response(status, draw(line_text), draw(headers_for(method)), draw(bodies))


messages = requests() | responses()
