"""Prometheus metric families of API.md §3, declared once on one registry.

The container builds one ``ConmanMetrics`` (hence one ``CollectorRegistry``) per
application, so tests and several apps in one process never share counters.
Adapters and the job runner receive the families they need from the container.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

__all__ = ["METRICS_CONTENT_TYPE", "ConmanMetrics"]

METRICS_CONTENT_TYPE: str = CONTENT_TYPE_PLAIN_0_0_4


class ConmanMetrics:
    """Every Conman metric family on a private registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.http_requests = Counter(
            "conman_http_requests_total",
            "HTTP requests by method, route template and status.",
            ["method", "path", "status"],
            registry=r,
        )
        self.http_duration = Histogram(
            "conman_http_request_duration_seconds",
            "HTTP request duration by method and route template.",
            ["method", "path"],
            registry=r,
        )
        self.jobs_enqueued = Counter(
            "conman_jobs_enqueued_total", "Jobs enqueued by type.", ["type"], registry=r
        )
        self.jobs_completed = Counter(
            "conman_jobs_completed_total",
            "Jobs finished by type and outcome.",
            ["type", "outcome"],
            registry=r,
        )
        self.job_duration = Histogram(
            "conman_job_duration_seconds", "Job run duration by type.", ["type"], registry=r
        )
        self.job_queue_depth = Gauge(
            "conman_job_queue_depth", "Queued jobs by type.", ["type"], registry=r
        )
        self.deployments = Counter(
            "conman_deployments_total", "Deployments by outcome.", ["outcome"], registry=r
        )
        self.git_calls = Counter(
            "conman_git_calls_total",
            "Git calls by method and outcome.",
            ["method", "outcome"],
            registry=r,
        )
        self.git_call_duration = Histogram(
            "conman_git_call_duration_seconds",
            "Git call duration by method.",
            ["method"],
            registry=r,
        )
        self.auth_failures = Counter(
            "conman_auth_failures_total", "Failed logins and rejected tokens.", registry=r
        )
        self.rate_limited = Counter(
            "conman_rate_limited_total", "Requests rejected by a rate limit.", registry=r
        )
        self.audit_write_failures = Counter(
            "conman_audit_write_failures_total",
            "Audit events that could not be written.",
            registry=r,
        )

    def observe_http(self, method: str, path: str, status: int, seconds: float) -> None:
        """Count one HTTP request; ``path`` must be a route template."""
        self.http_requests.labels(method=method, path=path, status=str(status)).inc()
        self.http_duration.labels(method=method, path=path).observe(seconds)

    def count_enqueued(self, job_type: str) -> None:
        """Count one enqueued job of ``job_type`` (the use cases' ``on_enqueue`` hook)."""
        self.jobs_enqueued.labels(type=job_type).inc()

    def render(self) -> bytes:
        """The Prometheus text exposition of every family."""
        return bytes(generate_latest(self.registry))
