"""Temp environment databases on MongoDB (``DatabaseProvisionerPort``)."""

from conman_adapters.mongoprov.provisioner import MongoProvisioner

__all__ = ["MongoProvisioner"]
