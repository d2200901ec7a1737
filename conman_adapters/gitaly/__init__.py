"""Conman adapters: gitaly."""
