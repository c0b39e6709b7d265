"""Real SMTP peers for the outbox tests: an aiosmtpd server, and a relay that never answers."""

import asyncio
import email
import socket
import threading

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A port on 127.0.0.1 where nothing listens (yet)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder:
    """aiosmtpd handler that keeps what it receives; `hold()` makes the next DATA wait."""

    def __init__(self):
        self.messages: list[email.message.Message] = []
        self.holding = threading.Event()  # set while a DATA is held
        self.release = threading.Event()
        self.release.set()

    def hold(self) -> None:
        self.release.clear()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.original_content))
        if not self.release.is_set():
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return "250 OK"

    def recipients(self) -> list[str]:
        return sorted(m["To"] for m in self.messages)


class SMTPServer:
    """aiosmtpd on 127.0.0.1:`port`, as a context manager."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.handler = Recorder()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "SMTPServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.handler.release.set()
        self.controller.stop()


class Blackhole:
    """A TCP server that accepts connections and never says a word (a hung relay)."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted = threading.Event()
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)
            self.accepted.set()

    def client_still_waiting(self) -> bool:
        """Is the first client still connected, waiting for a greeting that never comes?"""
        conn = self.connections[0]
        conn.setblocking(False)
        try:
            return conn.recv(1, socket.MSG_PEEK) != b""
        except BlockingIOError:
            return True
        finally:
            conn.setblocking(True)

    def hang_up(self) -> None:
        for conn in self.connections:
            conn.close()
        self.connections.clear()

    def __enter__(self) -> "Blackhole":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.hang_up()
        self.listener.close()
