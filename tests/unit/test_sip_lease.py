"""The controller's lease (sip.lease): pure, times given."""

from __future__ import annotations

from sip.lease import Lease


def test_the_lease_runs_three_quarters_of_the_timeout_from_when_the_heartbeat_began() -> None:
    lease = Lease(timeout_s=8.0)
    assert not lease.held(0.0)
    assert lease.renew(begun=10.0, now=10.5)
    assert lease.held(15.9) and not lease.held(16.0)


def test_a_heartbeat_written_after_its_lease_would_end_renews_nothing() -> None:
    lease = Lease(timeout_s=8.0)
    assert not lease.renew(begun=10.0, now=16.0)
    assert lease.until is None


def test_a_late_answer_to_an_older_heartbeat_never_shortens_the_lease() -> None:
    lease = Lease(timeout_s=8.0)
    assert lease.renew(begun=20.0, now=20.1)
    assert lease.renew(begun=18.0, now=20.2)
    assert lease.until == 26.0


def test_lost_is_not_held_until_renewed() -> None:
    lease = Lease(timeout_s=8.0)
    lease.renew(begun=0.0, now=0.1)
    lease.lose()
    assert not lease.held(1.0)
    assert lease.renew(begun=2.0, now=2.1) and lease.held(3.0)


def test_heartbeats_come_several_times_a_lease_and_at_most_every_two_seconds() -> None:
    assert Lease(timeout_s=4.0).heartbeat_interval_s == 0.75
    assert Lease(timeout_s=15.0).heartbeat_interval_s == 2.0
