"""Message templates: versions per (code, channel), the catalog every deployment starts with."""
