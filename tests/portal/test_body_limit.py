"""Bodies larger than their endpoint needs are refused from their headers (§6).

Before: an anonymous 100 MB multipart POST was read and spooled to disk by
Django's upload handlers before CSRF even answered.
"""

import socket
from urllib.parse import urlsplit

import pytest
from django.test import Client

from kleidi.portal.demo import STAFF_PASSWORD


def raw_exchange(live_server, head: str, body: bytes) -> bytes:
    """Send the request line, headers and the first bytes of a body; read what comes back."""
    url = urlsplit(live_server.url)
    with socket.create_connection((url.hostname, url.port), timeout=60) as sock:
        sock.sendall(head.encode("ascii") + b"\r\n" + body)
        answer = b""
        while b"</html>" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


@pytest.mark.django_db(transaction=True)
def test_s6_anonymous_100mb_multipart_is_refused_before_it_is_read(live_server):
    boundary = "kleidi"
    head = (
        "POST /password/forgot/ HTTP/1.1\r\n"
        f"Host: {urlsplit(live_server.url).netloc}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        "Content-Length: 100000000\r\n"
    )
    first = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + b"x" * 4096
    answer = raw_exchange(live_server, head, first)  # the other 99.99 MB are never sent
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert "έως 256 KB".encode() in answer


@pytest.mark.django_db(transaction=True)
def test_s6_a_chunked_body_without_length_is_refused(live_server):
    head = (
        "POST /password/strength/ HTTP/1.1\r\n"
        f"Host: {urlsplit(live_server.url).netloc}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Transfer-Encoding: chunked\r\n"
    )
    answer = raw_exchange(live_server, head, b"1000\r\n" + b"a" * 4096 + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 411"), answer[:200]


def signed_in(username: str, password: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302
    return client


@pytest.mark.django_db
def test_s6_only_staff_may_send_a_sheet_sized_body_and_only_to_the_upload(demo, settings):
    settings.SHEET_MAX_BYTES = 1024 * 1024
    settings.UPLOAD_BODY_MAX_BYTES = settings.SHEET_MAX_BYTES + 64 * 1024
    sheet = {"file": ("big.csv", b"a,b\n" * 100_000), "kind": "postgraduate"}  # 400 KB
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"kind": "postgraduate", "file": SimpleUploadedFile(*sheet["file"])}
    staff = signed_in("helpdesk", STAFF_PASSWORD)
    assert staff.post("/sheets/", data).status_code != 413
    data["file"].seek(0)
    assert staff.post("/password/strength/", data).status_code == 413  # not that endpoint
    data["file"].seek(0)
    member = signed_in("gpapadopoulos", "agapw poly th mairh")
    assert member.post("/sheets/", data).status_code == 413
    data["file"].seek(0)
    assert Client().post("/sheets/", data).status_code == 413
    too_big = {"kind": "postgraduate", "file": SimpleUploadedFile("x.csv", b"a" * 1200 * 1024)}
    response = staff.post("/sheets/", too_big)
    assert response.status_code == 413
    assert "1088 KB" in response.content.decode()
