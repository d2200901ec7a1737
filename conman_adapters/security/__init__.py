"""Conman adapters: security."""
