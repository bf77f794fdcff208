"""Sending: claiming due messages, the channels, send outcomes, delivery reports, the circuit."""
