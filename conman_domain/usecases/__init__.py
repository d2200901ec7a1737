"""Use cases (application services): one small callable per action over the ports."""

from conman_domain.usecases.health import CheckHealth, ComponentHealth, HealthReport

__all__ = ["CheckHealth", "ComponentHealth", "HealthReport"]
