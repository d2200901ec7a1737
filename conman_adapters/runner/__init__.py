"""Conman adapters: runner."""
