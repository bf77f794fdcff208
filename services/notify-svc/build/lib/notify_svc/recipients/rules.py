"""Pure recipient rules: what counts as an opt-out reply.

Nothing here does I/O.
"""

from __future__ import annotations

import unicodedata

OPT_OUT_KEYWORDS = {"T", "TD", "退订"}
_REPLY_EDGE_PUNCTUATION = "。.!！,，;；~～"


def is_opt_out_reply(content: str) -> bool:
    """A customer reply of T, TD or 退订 (回T退订) withdraws marketing consent.

    Full-width letters are folded (Ｔ -> T), latin letters compared case-insensitively, and
    surrounding spaces and punctuation ignored ("td。"). Anything longer is not an opt-out.
    """
    normalised = unicodedata.normalize("NFKC", content).strip().strip(_REPLY_EDGE_PUNCTUATION)
    return normalised.strip().upper() in OPT_OUT_KEYWORDS
