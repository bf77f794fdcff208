"""sms-gateway-standin's command line: every option explained, never a key or token shown."""

from __future__ import annotations

import pytest

from sms_gateway_standin.__main__ import main, parser


def test_help_explains_every_option_and_its_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STANDIN_KEY", "not-to-be-shown-key")
    monkeypatch.setenv("STANDIN_CALLBACK_TOKEN", "not-to-be-shown-token")
    monkeypatch.setenv("STANDIN_PORT", "9399")
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    actions = [a for a in parser()._actions if a.option_strings != ["-h", "--help"]]
    assert len(actions) == 8
    for action in actions:
        assert action.help, action.option_strings
        assert action.option_strings[0] in text
    for variable in (
        "$STANDIN_HOST",
        "$STANDIN_PORT",
        "$STANDIN_KEY",
        "$SMS_GATEWAY_KEY",
        "$STANDIN_CALLBACK_URL",
        "$STANDIN_REPLY_URL",
        "$STANDIN_CALLBACK_TOKEN",
        "$STANDIN_REPORT_DELAY_MS",
    ):
        assert variable in text, variable
    assert "default: 9399" in text  # the environment's value is the default shown
    assert "not-to-be-shown" not in text


def test_options_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANDIN_PORT", "9399")
    args = parser().parse_args(["--port", "9301", "--callback-url", ""])
    assert args.port == 9301
    assert args.callback_url == ""  # main turns it into "no callbacks"
    assert parser().parse_args([]).port == 9399
