"""The 3PCC call flow (RFC 3725 flow III) as a pure machine: events in, commands out."""

from __future__ import annotations

from models.rules.outcome import CallOutcome, Leg, LegResult
from sip import sdp
from sip.callflow import CallFlow
from sip.legs import COMPLETED_ELSEWHERE, Ack, Bye, Cancel, Command, Finish, Invite, ReInvite

A1, A2, B = "+15550001001", "+15550001002", "+15550002001"


def offer(address: str, port: int) -> bytes:
    return (f"v=0\r\no=phone 1 1 IN IP4 {address}\r\ns=-\r\nc=IN IP4 {address}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:8 PCMA/8000\r\n").encode()


A_OFFER, B_OFFER, A_ANSWER = offer("10.0.0.1", 4000), offer("10.0.0.2", 5000), offer(
    "10.0.0.1", 4002)


def flow(*a_numbers: str) -> CallFlow:
    return CallFlow(a_numbers=a_numbers or (A1,), b_number=B, cdr="call-1", origin_id=7,
                    a_ring_timeout_s=30, b_ring_timeout_s=45, max_call_s=3600)


def finish(commands: list[Command]) -> CallOutcome:
    finished = [c for c in commands if isinstance(c, Finish)]
    assert len(finished) == 1, commands
    return finished[0].outcome


def connect(call: CallFlow) -> None:
    """A answers at 1 s, B at 5 s, A accepts B's media at 5.1 s."""
    call.start(0.0)
    call.on_provisional("A0", 0.5)
    call.on_answer("A0", A_OFFER, 1.0)
    call.on_provisional("B", 2.0)
    call.on_answer("B", B_OFFER, 5.0)
    call.on_reinvite_answer("A0", A_ANSWER, 5.1)


def test_every_a_number_is_invited_at_once_without_b() -> None:
    call = flow(A1, A2)
    assert call.start(0.0) == [Invite("A0", A1), Invite("A1", A2)]
    assert call.next_deadline() == 30.0


def test_the_first_answer_wins_is_acked_at_once_and_b_is_invited() -> None:
    call = flow(A1, A2)
    call.start(0.0)
    call.on_provisional("A1", 0.2)
    commands = call.on_answer("A0", A_OFFER, 1.0)
    ack, cancel, invite = commands
    assert isinstance(ack, Ack) and ack.leg == "A0" and ack.sdp is not None
    black_hole = sdp.media_sections(ack.sdp)
    assert [(m.media, m.port, m.formats) for m in black_hole] == [("audio", 9, ("0",))]
    assert b"a=inactive" in ack.sdp and b"c=IN IP4 0.0.0.0" in ack.sdp
    assert cancel == Cancel("A1", COMPLETED_ELSEWHERE)
    assert invite == Invite("B", B)
    assert call.next_deadline() == 1.0 + 45  # B's ring timeout; A's is over


def test_b_s_offer_goes_to_a_and_a_s_answer_to_b_as_our_own_descriptions() -> None:
    call = flow()
    call.start(0.0)
    first_ack = call.on_answer("A0", A_OFFER, 1.0)[0]
    (reinvite,) = call.on_answer("B", B_OFFER, 5.0)
    assert isinstance(reinvite, ReInvite) and reinvite.leg == "A0"
    assert b"c=IN IP4 10.0.0.2" in reinvite.sdp and b"m=audio 5000" in reinvite.sdp
    assert isinstance(first_ack, Ack) and first_ack.sdp is not None
    assert origin(reinvite.sdp)[:2] == origin(first_ack.sdp)[:2]  # the same session
    assert origin(reinvite.sdp)[2] == origin(first_ack.sdp)[2] + 1  # a new version
    commands = call.on_reinvite_answer("A0", A_ANSWER, 5.1)
    assert commands[0] == Ack("A0", None)
    b_ack = commands[1]
    assert isinstance(b_ack, Ack) and b_ack.leg == "B" and b_ack.sdp is not None
    assert b"m=audio 4002" in b_ack.sdp and origin(b_ack.sdp)[0] == "ringback"
    assert call.sdp_for_peer("B") == b_ack.sdp  # a refresh from B gets the same back


def origin(description: bytes) -> tuple[str, str, int]:
    line = next(li for li in description.decode().splitlines() if li.startswith("o="))
    user, session, version, *_ = line[2:].split()
    return user, session, int(version)


def test_a_hangs_up_b_gets_a_bye_and_the_talk_time_counts() -> None:
    call = flow()
    connect(call)
    assert call.on_peer_bye("A0", 65.1) == [Bye("B")]
    outcome = finish(call.on_bye_done("B", 65.2))
    assert outcome.connected and outcome.cdr == "call-1"
    assert round(outcome.talk_seconds, 6) == 60.0
    assert call.leg("A0").hangup_by == "peer" and call.leg("B").hangup_by == "ringback"


def test_b_hangs_up_a_gets_a_bye() -> None:
    call = flow()
    connect(call)
    assert call.on_peer_bye("B", 10.1) == [Bye("A0")]
    assert finish(call.on_bye_done("A0", 10.2)).connected


def test_a_busy_ends_the_try_on_a() -> None:
    call = flow()
    call.start(0.0)
    outcome = finish(call.on_final("A0", 486, "Busy Here", 1.0))
    assert (outcome.failed_leg, outcome.cause, outcome.code) == (Leg.A, LegResult.BUSY, 486)
    assert outcome.describe() == f"A leg busy: 486 Busy Here ({A1})"


def test_each_final_answer_maps_to_its_outcome() -> None:
    cases = {486: LegResult.BUSY, 600: LegResult.BUSY, 603: LegResult.REJECTED,
             403: LegResult.REJECTED, 480: LegResult.NO_ANSWER, 408: LegResult.NO_ANSWER,
             404: LegResult.FAILED, 484: LegResult.FAILED, 604: LegResult.FAILED,
             500: LegResult.FAILED, 487: LegResult.FAILED}
    for code, expected in cases.items():
        call = flow()
        call.start(0.0)
        assert finish(call.on_final("A0", code, "x", 1.0)).cause is expected, code


def test_no_response_at_all_fails_the_leg() -> None:
    call = flow()
    call.start(0.0)
    outcome = finish(call.on_final("A0", None, "no response (Timer B)", 32.0))
    assert outcome.cause is LegResult.FAILED and "Timer B" in outcome.describe()


def test_credentials_refused_fail_the_leg() -> None:
    call = flow()
    call.start(0.0)
    outcome = finish(call.on_final("A0", 407, "Proxy Authentication Required", 1.0,
                                   authenticated=True))
    assert outcome.cause is LegResult.FAILED and outcome.code == 407


def test_a_rings_past_its_timeout_is_cancelled_and_counts_as_no_answer() -> None:
    call = flow()
    call.start(0.0)
    call.on_provisional("A0", 1.0)
    assert call.on_timer(29.9) == []
    assert call.on_timer(30.0) == [Cancel("A0")]
    outcome = finish(call.on_final("A0", 487, "Request Terminated", 30.1))
    assert outcome.cause is LegResult.NO_ANSWER


def test_a_leg_timed_out_before_its_first_provisional_is_cancelled_when_it_rings() -> None:
    call = flow()
    call.start(0.0)
    assert call.on_timer(30.0) == []  # no CANCEL before a provisional
    assert call.on_provisional("A0", 31.0) == [Cancel("A0")]


def test_a_200_crossing_our_cancel_is_acked_and_ended() -> None:
    call = flow(A1, A2)
    call.start(0.0)
    call.on_provisional("A1", 0.3)
    call.on_answer("A0", A_OFFER, 1.0)  # A1 is CANCELled
    late = call.on_answer("A1", A_OFFER, 1.05)
    assert [type(c) for c in late] == [Ack, Bye] and late[0].leg == late[1].leg == "A1"
    assert call.on_bye_done("A1", 1.1) == []  # the try goes on with A0


def test_all_a_numbers_failing_ends_the_try_with_the_first_numbers_result() -> None:
    call = flow(A1, A2)
    call.start(0.0)
    assert call.on_final("A1", 486, "Busy Here", 1.0) == []
    outcome = finish(call.on_final("A0", 404, "Not Found", 2.0))
    assert (outcome.cause, outcome.failed_number) == (LegResult.FAILED, A1)


def test_b_busy_ends_a_with_a_bye() -> None:
    call = flow()
    call.start(0.0)
    call.on_answer("A0", A_OFFER, 1.0)
    assert call.on_final("B", 486, "Busy Here", 2.0) == [Bye("A0")]
    outcome = finish(call.on_bye_done("A0", 2.1))
    assert (outcome.failed_leg, outcome.cause, outcome.a_answered) == (Leg.B, LegResult.BUSY,
                                                                        True)


def test_b_rings_out_is_cancelled_and_a_ended() -> None:
    call = flow()
    call.start(0.0)
    call.on_answer("A0", A_OFFER, 1.0)
    call.on_provisional("B", 1.5)
    assert call.on_timer(46.0) == [Cancel("B")]
    assert call.on_final("B", 487, "Request Terminated", 46.1) == [Bye("A0")]
    assert finish(call.on_bye_done("A0", 46.2)).cause is LegResult.NO_ANSWER


def test_b_may_ring_forty_seconds_while_a_waits() -> None:
    call = flow()
    call.start(0.0)
    call.on_answer("A0", A_OFFER, 1.0)
    call.on_provisional("B", 1.5)
    assert call.on_timer(41.0) == []  # nothing happens to A
    assert isinstance(call.on_answer("B", B_OFFER, 41.0)[0], ReInvite)


def test_a_hanging_up_while_b_rings_cancels_b() -> None:
    call = flow()
    call.start(0.0)
    call.on_answer("A0", A_OFFER, 1.0)
    call.on_provisional("B", 2.0)
    assert call.on_peer_bye("A0", 3.0) == [Cancel("B")]
    outcome = finish(call.on_final("B", 487, "Request Terminated", 3.1))
    assert outcome.cause is LegResult.NO_ANSWER and "A hung up while B rang" in (
        outcome.describe())


def test_the_longest_call_is_ended_on_both_legs() -> None:
    call = flow()
    connect(call)  # connected at 5.1 s: the longest talk counts from there
    assert call.on_timer(3605.0) == []
    assert call.on_timer(3605.1) == [Bye("A0"), Bye("B")]
    call.on_bye_done("A0", 3605.2)
    outcome = finish(call.on_bye_done("B", 3605.2))
    assert outcome.connected and round(outcome.talk_seconds, 1) == 3600.0


def test_a_refusing_b_s_media_ends_both() -> None:
    call = flow()
    call.start(0.0)
    call.on_answer("A0", A_OFFER, 1.0)
    call.on_answer("B", B_OFFER, 5.0)
    commands = call.on_reinvite_failed("A0", 488, "Not Acceptable Here", 5.1)
    assert isinstance(commands[0], Ack) and commands[0].leg == "B"  # B's 200 first
    assert commands[1:] == [Bye("A0"), Bye("B")]
    call.on_bye_done("A0", 5.2)
    outcome = finish(call.on_bye_done("B", 5.2))
    assert not outcome.connected and outcome.code == 488


def test_an_answer_without_a_description_is_ended() -> None:
    call = flow()
    call.start(0.0)
    commands = call.on_answer("A0", b"", 1.0)
    assert commands[0] == Ack("A0", None) and Bye("A0") in commands
    outcome = finish(call.on_bye_done("A0", 1.1))
    assert outcome.cause is LegResult.FAILED


LIST = "the client's do-not-call list"


def test_b_listed_while_a_rang_is_never_invited_and_a_gets_a_bye() -> None:
    call = flow()
    call.start(0.0)
    assert call.on_answer("A0", A_OFFER, 8.0)[-1] == Invite("B", B)
    # The controller found B listed as the INVITE was about to leave: it never left.
    commands = call.on_listed("B", LIST, 8.01)
    assert commands == [Bye("A0")]
    outcome = finish(call.on_bye_done("A0", 8.2))
    refusal = f"do-not-call: B number {B} is on {LIST}"
    assert outcome == CallOutcome(True, False, Leg.B, LegResult.FAILED, B,
                                  reason=f"not sent: {refusal}", refusal=refusal)
    assert outcome.describe() == refusal


def test_a_listed_a_number_is_left_out_while_the_others_ring() -> None:
    call = flow(A1, A2)
    call.start(0.0)
    assert call.on_listed("A0", LIST, 0.01) == []
    call.on_provisional("A1", 0.5)
    assert call.on_answer("A1", A_OFFER, 2.0)[-1] == Invite("B", B)
    assert call.leg("A0").listed and not call.leg("A1").listed


def test_every_a_number_listed_calls_nobody_and_ends_the_task() -> None:
    call = flow(A1, A2)
    call.start(0.0)
    call.on_listed("A0", LIST, 0.01)
    outcome = finish(call.on_listed("A1", LIST, 0.01))
    assert not outcome.placed and outcome.refusal == (
        f"do-not-call: every A number is on a do-not-call list ({A1}, {A2})")


def test_a_listed_first_a_number_lets_the_one_rung_speak_for_the_try() -> None:
    call = flow(A1, A2)
    call.start(0.0)
    call.on_listed("A0", LIST, 0.01)
    outcome = finish(call.on_final("A1", 486, "Busy Here", 3.0))
    assert outcome.failed_number == A2 and outcome.cause is LegResult.BUSY
    assert outcome.refusal is None
