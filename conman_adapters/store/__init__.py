"""Conman adapters: store."""
