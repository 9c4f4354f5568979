"""A sans-IO core of a SIP stack (an RFC 3261 subset) for a third-party call controller.

Nothing here does I/O, reads a clock or draws random numbers: times come in as ``now``
(seconds) and tags, branches, Call-IDs and cnonces come from the caller.

- ``sip.message``: Request, Response, Headers, parse, serialize, StreamFramer, the URI,
  name-addr, Via and CSeq parsers, and the CANCEL / non-2xx ACK / response builders.
- ``sip.digest``: answers to 401/407 Digest challenges.
- ``sip.transaction``: client and server transaction state machines and their keys.
- ``sip.dialog``: the UAC dialog: in-dialog requests, the 2xx ACK, next hop, storage.
- ``sip.sdp``: the black-hole answer and re-origination a 3PCC controller needs.
"""
