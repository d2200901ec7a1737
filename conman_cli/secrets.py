"""``conman secrets rotate-master-key --new-version N`` (API.md §16, DOMAIN.md §15.4).

Exit codes: 0 done (also when nothing was left to rewrap); 2 ``N`` is the current or
previous master key version; 4 a document kept changing during the run (run it again);
5 the store is unreachable; 6 configuration error, e.g. ``CONMAN_SECRETS_NEW_MASTER_KEY``
unset.
"""

from __future__ import annotations

import click

from conman_adapters.container import build_container
from conman_cli.common import builtins, emit, handle_errors, json_option, load_config
from conman_domain.usecases.secrets_rotation import RotateMasterKey, RotationReport

__all__ = ["secrets"]


def _text(report: RotationReport) -> str:
    total = report.total()
    width = max(len(name) for name in report.collections)
    lines = [f"{'collection':<{width}}  scanned  updated  rewrapped  current"]
    for name, c in report.collections.items():
        lines.append(
            f"{name:<{width}}  {c.documents_scanned:>7}  {c.documents_updated:>7}  "
            f"{c.records_rewrapped:>9}  {c.records_current:>7}"
        )
    lines.append(
        f"{total.records_rewrapped} records rewrapped under {report.kid}, "
        f"{total.records_current} already current, in {total.documents_scanned} documents. "
        f"Now restart every node with the new key as CONMAN_SECRETS_MASTER_KEY "
        f"(version {report.kid[1:]}) and the old one as the previous key."
    )
    return "\n".join(lines)


@click.group()
def secrets() -> None:
    """Secrets administration: master-key rotation."""


@secrets.command("rotate-master-key")
@click.option(
    "--new-version",
    type=click.IntRange(min=1),
    required=True,
    help="Version N of CONMAN_SECRETS_NEW_MASTER_KEY; records get the key id v<N>.",
)
@json_option
@handle_errors
def rotate_master_key(new_version: int, as_json: bool) -> None:
    """Rewrap every stored DEK (profiles, revisions, overrides) under
    CONMAN_SECRETS_NEW_MASTER_KEY. Idempotent: records already at v<N> are skipped."""
    settings, _ = load_config()
    container = build_container(settings)
    cipher = container.rotation_cipher(new_version=new_version)
    try:
        report = RotateMasterKey(container.repositories(), cipher)(f"v{new_version}")
    finally:
        container.store().close()
    total = report.total()
    payload = {
        "kid": report.kid,
        "documents_scanned": total.documents_scanned,
        "documents_updated": total.documents_updated,
        "records_rewrapped": total.records_rewrapped,
        "records_current": total.records_current,
        "collections": builtins(report.collections),
    }
    emit(as_json, payload, _text(report))
