"""Conman CLI: the ``conman`` command (click)."""
