"""Advisory agreements (投资顾问协议) recorded by branch staff.

Kept apart: this moves to advisory-svc when it exists (then notify consumes its event).
"""
