"""Stand-in for the SMS provider: the gateway contract plus a control API for tests."""

from sms_gateway_standin.app import Control, Settings, Standin, create_app

__all__ = ["Control", "Settings", "Standin", "create_app"]
