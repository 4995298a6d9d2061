"""The real nginx with deploy/nginx.conf (local ports and folders swapped in) in front of two
gunicorn web machines started with deploy/gunicorn.conf.py: scripts/deploy_smoke.py's
deployment and checks, run as a test so that CI runs them (.ci/run installs nginx-light).

Without nginx the test is skipped, as the browser tests are without Chromium; in CI
(TRAINER_NO_SKIP=1) that skip is a failure."""

from __future__ import annotations

import pytest

from tests.features.live_database import load_smoke

# What the issue asks of the proxy, by the names the script gives its checks: each must be
# there (a check renamed or dropped from the script fails here) and pass.
REQUIRED = {
    # pages proxied to the web machines, both of them
    "healthz through nginx", "log-in page through nginx", "log-in over https",
    "a logged-in page through nginx", "both web machines answered through nginx",
    # the request id: the caller's kept, else nginx's, seen by the application and logged
    "caller's request id kept", "nginx's request id used",
    "request id in the application's log", "request id in nginx's log",
    # media: the application answers with the header only, nginx sends the bytes, the
    # internal path never reaches the client and cannot be asked for directly
    "application answers with X-Accel-Redirect", "clip sent by nginx (X-Accel-Redirect)",
    "internal path not shown to the client", "range request through nginx",
    "internal media location closed", "clip refused without log-in",
}


def test_nginx_proxies_the_web_machines_and_sends_media_by_x_accel_redirect() -> None:
    smoke = load_smoke()
    nginx = smoke.find_nginx()
    if nginx is None:
        pytest.skip("no nginx found: install Debian's nginx-light (.ci/run does)")
    # One gunicorn worker per web machine: two machines are what the checks need, and the
    # test stays well under 20 s.
    with smoke.deployment(nginx, workers=1) as running:
        checks = smoke.check(running)
    assert sorted(REQUIRED - checks.keys()) == []
    assert [name for name, passed in checks.items() if not passed] == []
