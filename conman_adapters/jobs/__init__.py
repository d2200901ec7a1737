"""Conman adapters: jobs."""
