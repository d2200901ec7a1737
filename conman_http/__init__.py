"""Conman HTTP shell: the Litestar app factory and its request/response plumbing."""

from conman_http.app import create_app

__all__ = ["create_app"]
