"""Conman adapters: memory."""
