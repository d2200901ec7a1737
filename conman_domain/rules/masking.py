"""Secret previews (DOMAIN.md §15.5)."""

from __future__ import annotations

__all__ = ["mask_secret"]


def mask_secret(plaintext: str) -> str:
    """``****`` up to 4 code points; ``****`` + last 4 for 5..8; else first 4 + ``****`` +
    last 4."""
    n = len(plaintext)
    if n <= 4:
        return "****"
    if n <= 8:
        return "****" + plaintext[-4:]
    return plaintext[:4] + "****" + plaintext[-4:]
