"""Conman adapters: localgit."""
