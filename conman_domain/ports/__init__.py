"""Ports: the protocols the domain needs from the outside world (ARCHITECTURE.md §2)."""
