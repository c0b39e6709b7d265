"""R24, DESIGN §6: link tokens are masked in every access log Kleidi writes, on real output.

`kleidi demo` (runserver's `django.server` log) runs the whole forgot-password
flow through its demo mailbox; gunicorn runs with Kleidi's logger class as
docs/operations.md says. Both logs are read as an operator would read them.
"""

import http.cookiejar
import io
import logging
import os
import re
import secrets
import signal
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest

from kleidi.accesslog import MaskLinks
from tests.portal.test_demo_process import free_port, start_demo, wait_for

MASKED = "/password/link/[masked]/"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGINT)
    try:
        output, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return output


class Browser:
    """A cookie-keeping HTTP client that posts forms with their CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def post(self, path: str, fields: dict, form_page: str) -> str:
        token = CSRF.search(form_page).group(1)
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
        with self.opener.open(self.base + path, data=data, timeout=60) as response:
            return response.read().decode()


@pytest.mark.slow
def test_r24_demo_flow_works_through_its_mailbox_and_its_log_masks_the_link(tmp_path):
    process, base = start_demo(tmp_path, "BASE_URL")
    try:
        assert wait_for(base + "/") == 200
        browser = Browser(base)
        form = browser.get("/password/forgot/")
        fields = {"username": "gpapadopoulos", "email": "giorgos.papadopoulos@example.com"}
        browser.post("/password/forgot/", fields, form)
        mailbox = browser.get("/demo/mailbox/")
        links = re.findall(rf'href="{re.escape(base)}(/password/link/([A-Za-z0-9_-]+)/)"', mailbox)
        assert links, "the demo mailbox shows no usable link"
        path, token = links[0]
        set_page = browser.get(path)
        assert "new_password1" in set_page
        password = "kokkino podilato sto vouno tis kritis"
        done = browser.post(
            "/password/set/", {"new_password1": password, "new_password2": password}, set_page
        )
        assert "/accounts/login/" in done
    finally:
        output = stop(process)
    assert f"GET {MASKED}" in output, output[-2000:]
    assert token not in output


def test_r24_gunicorn_access_log_masks_link_tokens(tmp_path):
    port = free_port()
    env = {**os.environ, "KLEIDI_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "kleidi.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--logger-class",
        "kleidi.accesslog.GunicornLogger",
        "--access-logfile",
        "-",
    ]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    tokens = [secrets.token_urlsafe(32) for _ in range(4)]
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_for(base + "/password/forgot/sent/") == 200
        request = urllib.request.Request(  # noqa: S310 (loopback)
            f"{base}/password/link/{tokens[0]}/?back=/password/link/{tokens[1]}/",
            headers={"Referer": f"{base}/password/link/{tokens[2]}/"},
        )
        opener = urllib.request.build_opener(NoRedirect())
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(request, timeout=30)
        assert redirect.value.code == 302
        # Django's own warnings name the path too (here: a POST without CSRF).
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(f"{base}/password/link/{tokens[3]}/", data=b"x=1", timeout=30)
        assert refused.value.code == 403
    finally:
        output = stop(process)
    assert f'"GET {MASKED}?back={MASKED} HTTP/1.1" 302' in output, output[-2000:]
    assert f'"{base}{MASKED}"' in output  # the Referer field
    assert f"Forbidden (CSRF cookie not set.): {MASKED}" in output
    for token in tokens:
        assert token not in output


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_r24_a_logged_traceback_is_masked_too():
    """Gunicorn's "Error handling request <uri>" comes with a traceback; both are masked."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskLinks())
    logger = logging.getLogger("kleidi.tests.masked")
    logger.addHandler(handler)
    token = secrets.token_urlsafe(32)
    try:
        raise ValueError(f"bad request /password/link/{token}/")
    except ValueError:
        logger.exception("Error handling request %s", f"/password/link/{token}/?a=1")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert f"Error handling request {MASKED}?a=1" in output
    assert f"ValueError: bad request {MASKED}" in output
    assert token not in output
