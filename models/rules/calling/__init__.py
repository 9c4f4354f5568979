"""Calling rules of a scheduler: when a called number may be rung (calling windows in its
local time, public holidays, skip dates), how each kind of failed try is retried, and how
often one number may be dialled across a client's tasks.

Pure: no clock, database or network; ``now`` (an aware datetime) is passed in and each
function returns a decision. Three separate parts, composed by the caller:
``windows`` (``spec`` parses the rules, ``zones`` finds a number's zones),
``retry_rules`` and ``caps``.
"""
