"""`rmdesk serve --prod`: gunicorn in production mode, static files, probes, pooled metrics."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from ops_helpers import subprocess_env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (127.0.0.1)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_serve_prod_answers_with_gunicorn_and_whitenoise(tmp_path: Path) -> None:
    port = free_port()
    env = subprocess_env(
        tmp_path,
        RMDESK_ENV="production",
        SECRET_KEY="x" * 64,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
        RMDESK_METRICS_TOKEN="t" * 32,
    )
    rmdesk = [sys.executable, "-m", "rmdesk.cli"]
    subprocess.run([*rmdesk, "migrate", "-v0"], env=env, check=True, timeout=300)
    server = subprocess.Popen(
        [*rmdesk, "serve", "--prod", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, headers, body = get(base + "/healthz")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "gunicorn did not come up"
                time.sleep(0.3)
        assert status == 200
        assert headers["Server"].startswith("gunicorn")
        assert get(base + "/readyz")[0] == 200

        # collectstatic ran: the login page links hashed files, served compressed and
        # cached for good.
        page = get(base + "/login/")[2].decode()
        css = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', page)
        assert css, page[:2000]
        status, headers, _body = get(base + css.group(1), **{"Accept-Encoding": "gzip"})
        assert status == 200
        assert "immutable" in headers["Cache-Control"]
        assert headers.get("Content-Encoding") == "gzip"

        for _n in range(10):
            get(base + "/healthz")
        assert get(base + "/metrics")[0] == 401
        status, _headers, body = get(base + "/metrics", Authorization="Bearer " + "t" * 32)
        assert status == 200
        text = body.decode()
        # Both gunicorn workers' counts are pooled in one scrape.
        count = re.search(
            r'rmdesk_http_requests_total\{method="GET",route="/healthz",status="200"\} (\S+)', text
        )
        assert count, text[:3000]
        assert float(count.group(1)) >= 11
        assert "rmdesk_jobs_oldest_due_seconds" in text
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=60)[0].decode()
    assert server.returncode == 0, output[-3000:]
    # Access log lines are JSON on stdout.
    assert '"log": "access"' in output
