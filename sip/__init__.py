"""A sans-IO core of a SIP stack (an RFC 3261 subset) for a third-party call controller.

Nothing here does I/O, reads a clock or draws random numbers: times come in as ``now``
(seconds) and tags, branches and nonces come from the caller.
"""
