"""Simulates the systems outside the platform: settlement, asset snapshots, transfer requests."""

from .day import DayConfig, customer_id, customer_phone, generate_day, id_number_for, publish

__all__ = ["DayConfig", "customer_id", "customer_phone", "generate_day", "id_number_for", "publish"]
