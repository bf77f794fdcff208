"""trading-sim's command line: every option explained with its default; progress on stderr."""

from __future__ import annotations

import io

import pytest

from trading_sim.__main__ import Progress, main, parser


def test_help_explains_every_option_with_its_default(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    options = [o for a in parser()._actions for o in a.option_strings if o.startswith("--")]
    assert len(options) == 11
    for action in parser()._actions:
        if action.option_strings == ["-h", "--help"]:
            continue
        assert action.help, action.option_strings
        assert action.option_strings[0] in text
    for shown in (
        "(default: 300)",
        "(default: 3.0)",
        "(default: 2026-11-20)",
        "(default: 0.01)",
        "(default: 20261120)",
        "$KAFKA_BOOTSTRAP_SERVERS",
        "(default: 2.0)",
    ):
        assert shown in text, shown


def test_progress_prints_sent_of_total_and_the_rate() -> None:
    out = io.StringIO()
    progress = Progress(40_000, every_s=1e-9, out=out)
    progress(20_000)
    progress(40_000)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("trading-sim: sent 20000/40000 events (50%), ")
    assert lines[1].startswith("trading-sim: sent 40000/40000 events (100%), ")
    assert "events/s" in lines[1]


def test_progress_is_periodic_and_always_shows_the_end() -> None:
    out = io.StringIO()
    progress = Progress(60_000, every_s=3600, out=out)
    progress(20_000)  # within the period: nothing
    progress(40_000)
    progress(60_000)  # the end is always shown
    assert out.getvalue().splitlines() == [
        line for line in out.getvalue().splitlines() if "60000/60000" in line
    ]
    assert len(out.getvalue().splitlines()) == 1


def test_progress_every_zero_is_silent() -> None:
    out = io.StringIO()
    progress = Progress(10, every_s=0, out=out)
    progress(10)
    assert out.getvalue() == ""
