"""Who may reach the server: loopback, or a login (or ``--no-auth`` on purpose)."""

from __future__ import annotations

from rag.config import Settings
from rag.errors import RagError
from rag.ingest.addresses import LOOPBACK_NAMES, is_loopback

__all__ = ["LOOPBACK_NAMES", "auth_for", "is_loopback"]


def auth_for(s: Settings) -> list[tuple[str, str]] | None:
    """Credentials for gradio's login, or None; refuses to serve beyond loopback, or share, without them."""
    user = (s.auth_user or "").strip()
    password = s.auth_password.get_secret_value() if s.auth_password is not None else ""
    if bool(user) != bool(password):
        raise RagError("set both RAG_AUTH_USER and RAG_AUTH_PASSWORD (or neither)")
    if user:
        return [(user, password)]
    if s.share:
        raise RagError(
            "a public share link needs a login: set RAG_AUTH_USER and RAG_AUTH_PASSWORD (or unset RAG_SHARE)"
        )
    if not is_loopback(s.host) and not s.no_auth:
        raise RagError(
            f"refusing to serve on {s.host} without a login: set RAG_AUTH_USER and RAG_AUTH_PASSWORD, "
            "or pass --no-auth (RAG_NO_AUTH=1) to serve without one on purpose"
        )
    return None
