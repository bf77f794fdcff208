"""The circuit breaker as a state machine (README: circuit breaker per gateway)."""

from datetime import UTC, datetime, timedelta

from notify_svc.delivery.rules import Breaker, CircuitState

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
COOL = timedelta(seconds=300)


def test_a_refusal_opens_a_closed_breaker_and_starts_one_outage() -> None:
    opened, new_outage = Breaker().refused("isv.AMOUNT_NOT_ENOUGH", T0, COOL)
    assert new_outage
    assert opened == Breaker(CircuitState.OPEN, "isv.AMOUNT_NOT_ENOUGH", T0, T0 + COOL)
    assert opened.stops_sending
    assert not opened.probing


def test_after_the_cool_down_one_message_probes() -> None:
    opened, _ = Breaker().refused("isv.OUT_OF_SERVICE", T0, COOL)
    assert opened.before_send(T0 + COOL - timedelta(seconds=1)).stops_sending
    probing = opened.before_send(T0 + COOL)
    assert probing.state == CircuitState.HALF_OPEN
    assert probing.probing
    assert not probing.stops_sending


def test_a_failed_probe_reopens_quietly_and_a_good_one_closes() -> None:
    opened, _ = Breaker().refused("isv.OUT_OF_SERVICE", T0, COOL)
    probing = opened.before_send(T0 + COOL)
    later = T0 + COOL + timedelta(seconds=1)
    again, new_outage = probing.refused("isv.OUT_OF_SERVICE", later, COOL)
    assert not new_outage  # the outage that began at T0 goes on: no second alert
    assert (again.state, again.opened_at, again.retry_at) == (CircuitState.OPEN, T0, later + COOL)
    closed = again.before_send(later + COOL).succeeded()
    assert (closed.state, closed.reason, closed.retry_at) == (CircuitState.CLOSED, None, None)
    assert closed.before_send(later) == closed


def test_a_reason_is_cut_to_the_column() -> None:
    opened, _ = Breaker().refused("x" * 200, T0, COOL)
    assert opened.reason == "x" * 120
