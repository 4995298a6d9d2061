"""Production operations: request ids and structured logs, health and readiness probes,
Prometheus metrics, and the reverse-proxy setting."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from trainer.ops.logs import (
    REQUEST_ID_HEADER,
    configure_logging,
    forget_request_id,
    request_id,
)
from trainer.ops.metrics import observe_request

access_log = logging.getLogger("trainer.access")


def init_ops(app: Flask) -> None:
    """Logging, the request hooks, the proxy setting and the ops blueprint."""
    from trainer.ops.views import bp

    configure_logging(app)
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops > 0:
        # Only the last `hops` X-Forwarded-For / -Proto values are believed: those the
        # site's own proxies wrote, not whatever a client sent along.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    # First of all before-request hooks: a request refused by a later hook (access, rate
    # limit) is still timed and logged.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request(_finish_request)
    app.teardown_request(forget_request_id)
    app.register_blueprint(bp)


def _start_request() -> None:
    g.request_started = time.perf_counter()
    request_id()


def _user_id() -> int | None:
    """The logged-in user's id if the request has already loaded the user (no query here)."""
    user = g.get("_login_user")
    try:
        return int(user.id) if user is not None and user.is_authenticated else None
    except Exception:  # a user row that cannot be read any more is not worth a failed response
        return None


def _finish_request(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = request_id()
    started = g.get("request_started")
    seconds = time.perf_counter() - started if started is not None else 0.0
    observe_request(request.endpoint, request.method, response.status_code, seconds)
    user_id = _user_id()
    # The path only: a query string (a log-in's `next`, a search) and the body stay out.
    access_log.info("%s %s %s %.1f ms user=%s", request.method, request.path,
                    response.status_code, seconds * 1000, user_id if user_id else "-",
                    extra={"method": request.method, "path": request.path,
                           "status": response.status_code,
                           "duration_ms": round(seconds * 1000, 2), "user_id": user_id,
                           "endpoint": request.endpoint, "remote_addr": request.remote_addr})
    return response
