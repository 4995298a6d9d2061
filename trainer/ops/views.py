"""Health, readiness and metrics endpoints for load balancers, orchestrators and Prometheus.

They answer JSON or the Prometheus text format, never a page; a failure names the check and
the error's class, never a message, a stack trace or a setting.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request
from flask_login import current_user
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4

from trainer import tasks
from trainer.access import public
from trainer.accounts.models import Role
from trainer.extensions import db_session
from trainer.ops import services
from trainer.ops.metrics import LiveCollector, exposition

bp = Blueprint("ops", __name__)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
@public
def healthz() -> Any:
    """Liveness: the process answers; nothing else is touched."""
    return _no_store(jsonify(status="ok"))


@bp.get("/readyz")
@public
def readyz() -> Any:
    """Readiness: database, job queue and media storage, each with its result; 503 if any fails."""
    checks = services.readiness(db_session(), tasks.huey, dict(current_app.config))
    failed = sorted(name for name, result in checks.items() if not result["ok"])
    response = jsonify(status="fail" if failed else "ok", failed=failed, checks=checks)
    response.status_code = 503 if failed else 200
    return _no_store(response)


def _may_scrape() -> bool:
    """The metrics token as a bearer token, or a logged-in admin."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), str(token).encode()):
        return True
    return bool(current_user.is_authenticated and current_user.role == Role.ADMIN)


@bp.get("/metrics")
@public
def metrics() -> Any:
    """Prometheus scrape for the metrics token or an admin; 404 for anyone else."""
    if not _may_scrape():
        abort(404)
    db = db_session()
    live = LiveCollector(queue_depth=lambda: services.queue_depth(tasks.huey),
                         attempts_in_progress=lambda: services.attempts_in_progress(db))
    return _no_store(Response(exposition(live), content_type=CONTENT_TYPE_PLAIN_0_0_4))
