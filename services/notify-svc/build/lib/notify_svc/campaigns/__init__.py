"""Campaigns (群发): one text to many customers, expanded set-based; daily greetings."""
