"""Conman adapters: mail."""
