"""Reading an upload in a child process with bounded memory and time (§6, issue 8).

A reader's bug (a dense grid for one far cell, a decompression loop, a crash)
must cost one child, never the server. The child sets RLIMIT_AS, RLIMIT_CPU
and a wall-clock alarm on itself before it reads the file, and the parent
gives up after the same time and kills it. Every ending is a code: the
child's own (sheet.unreadable, sheet.too_many_rows ...), or sheet.too_complex
when it ran out of time or memory or died.

Children are forked by a small reader server (`python -m
kleidi.sheets.sandbox`, started on first use by each Kleidi process), which
is single-threaded and has imported only the reader: forking a threaded
server is unsafe, and the memory limit then measures the parse rather than
the server's footprint. Each request gets its own socket pair, passed to the
server with SCM_RIGHTS; the upload goes down it and the answer comes back.
Rows come back as JSON, never pickle: the parent does not trust what a child
parsing a hostile file says, so the answer is capped in size and checked.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import resource
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

from kleidi.sheets.reader import Limits, SheetError, Table, parse_sheet

# The most a child may answer: a legitimate 20,000-row sheet is a few MB of JSON.
MAX_ANSWER_BYTES = 32 * 1024 * 1024
# The codes a child may answer with (anything else is sheet.too_complex).
CHILD_CODES = frozenset(
    {
        "sheet.unreadable",
        "sheet.xlsb",
        "sheet.too_large",
        "sheet.too_many_rows",
        "sheet.too_many_columns",
        "field.too_long",
    }
)
_HEADER = struct.Struct("!QQQQQ")  # data bytes, max bytes, max rows, seconds, memory
_LENGTH = struct.Struct("!Q")
_PID = struct.Struct("!q")
_ROW, _CELL, _DATE = "\x1e", "\x1f", "\x1d"


def read_in_child(data: bytes, limits: Limits) -> Table:
    """Parse `data` in a bounded child; SheetError for every ending but a table."""
    from django.conf import settings

    if len(data) > limits.max_bytes:
        raise SheetError("sheet.too_large", max_mb=limits.max_mb)
    seconds = settings.SHEET_PARSE_SECONDS
    memory = settings.SHEET_PARSE_MEMORY_MB * 1024 * 1024
    ours, theirs = socket.socketpair()
    pid = 0
    try:
        with theirs:
            _server.hand_over(theirs)
        deadline = time.monotonic() + seconds + 1
        ours.settimeout(seconds + 1)
        pid = _PID.unpack(_read(ours, _PID.size, deadline))[0]
        header = _HEADER.pack(len(data), limits.max_bytes, limits.max_rows, seconds, memory)
        ours.sendall(header)
        ours.sendall(data)
        length = _LENGTH.unpack(_read(ours, _LENGTH.size, deadline))[0]
        if length > MAX_ANSWER_BYTES:
            raise too_complex()
        answer = _read(ours, length, deadline)
        pid = 0  # it answered: it exits by itself
    except (OSError, EOFError, struct.error):
        raise too_complex() from None
    finally:
        ours.close()
        if pid:
            _kill(pid)
    return _decode(answer)


def too_complex() -> SheetError:
    from django.conf import settings

    return SheetError(
        "sheet.too_complex",
        seconds=settings.SHEET_PARSE_SECONDS,
        memory_mb=settings.SHEET_PARSE_MEMORY_MB,
    )


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


def _read(sock: socket.socket, size: int, deadline: float) -> bytes:
    chunks = []
    while size:
        sock.settimeout(max(0.001, deadline - time.monotonic()))
        chunk = sock.recv(min(size, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _decode(answer: bytes) -> Table:
    """The child's answer as a Table; anything malformed is sheet.too_complex.

    An answer is a JSON head (a code, or the format and the row numbers), then
    for a table the cells as text: rows separated by RS (U+001E), cells by US
    (U+001F), a date as GS (U+001D) and its ISO form. Cleaned cells never hold
    these (they are whitespace, which clean_text collapses), and splitting text
    is several times faster than parsing the same rows as JSON.
    """
    try:
        size = _LENGTH.unpack_from(answer)[0]
        head = json.loads(answer[_LENGTH.size : _LENGTH.size + size])
        if "code" in head:
            if head["code"] not in CHILD_CODES:
                raise too_complex()
            params = {str(k)[:40]: str(v)[:100] for k, v in head.get("params", {}).items()}
            raise SheetError(head["code"], **params)
        numbers = head["numbers"]
        text = answer[_LENGTH.size + size :].decode()
        lines = text.split(_ROW) if numbers else []
        if len(lines) != len(numbers):
            raise ValueError
        rows = []
        for number, line in zip(numbers, lines, strict=True):
            if number.__class__ is not int:
                raise TypeError
            cells = line.split(_CELL)
            if _DATE in line:
                cells = [dt.date.fromisoformat(c[1:]) if c[:1] == _DATE else c for c in cells]
            rows.append((number, cells))
        return Table(rows=rows, format=str(head["format"]), peak_mb=float(head["peak_mb"]))
    except SheetError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, struct.error):
        raise too_complex() from None


class _Server:
    """This process's reader server, started on first use (again after a fork or a crash)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.owner = 0
        self.control: socket.socket | None = None
        self.process: subprocess.Popen | None = None

    def hand_over(self, sock: socket.socket) -> None:
        with self.lock:
            for attempt in (1, 2):
                if self.owner != os.getpid() or self.process.poll() is not None:
                    self._start()
                try:
                    socket.send_fds(self.control, [b"r"], [sock.fileno()])
                    return
                except OSError:
                    if attempt == 2:
                        raise
                    self.owner = 0

    def _start(self) -> None:
        if self.control is not None and self.owner == os.getpid():
            self.control.close()
            self.process.wait()
        ours, theirs = socket.socketpair()
        with theirs:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
                [sys.executable, "-m", "kleidi.sheets.sandbox", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                close_fds=True,
            )
        self.control = ours
        self.owner = os.getpid()


_server = _Server()


# --------------------------------------------------------------------------
# The server and its children


def serve(control_fd: int) -> None:
    """Fork one child per socket received on `control_fd`; exit when the parent goes."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    control = socket.socket(fileno=control_fd)
    while True:
        try:
            _, fds, _, _ = socket.recv_fds(control, 1, 1)
        except OSError:
            return
        if not fds:
            return  # the Kleidi process closed its end: it is gone
        pid = os.fork()
        if pid == 0:
            control.close()
            code = 1
            try:
                _child(socket.socket(fileno=fds[0]))
                code = 0
            finally:
                os._exit(code)
        # The server, not the child, says who the child is: a child stopped or killed
        # before it runs a line is still known to the parent, which kills it at the deadline.
        with socket.socket(fileno=fds[0]) as request, contextlib.suppress(OSError):
            request.sendall(_PID.pack(pid))


def _limit(kind: int, soft: int, hard: int | None = None) -> None:
    _, current_hard = resource.getrlimit(kind)
    hard = soft if hard is None else hard
    if current_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, current_hard), min(hard, current_hard)
    resource.setrlimit(kind, (soft, hard))


def _child(sock: socket.socket) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    # What a reader prints while it fails on a hostile file (a Rust panic) is noise.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    size, max_bytes, max_rows, seconds, memory = _HEADER.unpack(_recv(sock, _HEADER.size))
    # The kernel ends the child: SIGALRM after `seconds` of wall-clock time, SIGXCPU
    # after as many of CPU; allocations fail beyond `memory`; no core file, no file written.
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)
    signal.alarm(seconds)
    _limit(resource.RLIMIT_CPU, seconds, seconds + 1)
    _limit(resource.RLIMIT_AS, memory)
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_FSIZE, 0)
    body = b""
    try:
        data = _recv(sock, min(size, max_bytes + 1))
        table = parse_sheet(data, Limits(max_bytes=max_bytes, max_rows=max_rows))
        del data
        body = _ROW.join(
            _CELL.join([c if c.__class__ is str else _DATE + c.isoformat() for c in cells])
            for _, cells in table.rows
        ).encode()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        head = {
            "format": table.format,
            "numbers": [number for number, _ in table.rows],
            "peak_mb": round(peak, 1),
        }
        del table
    except SheetError as exc:
        head = {"code": exc.code, "params": exc.params}
    except MemoryError:
        head = {"code": "sheet.too_complex"}  # not a child code: the parent fills it in
    except Exception:
        head = {"code": "sheet.unreadable", "params": {"detail": "reader"}}
    try:
        encoded = json.dumps(head).encode()
        sock.sendall(_LENGTH.pack(_LENGTH.size + len(encoded) + len(body)))
        sock.sendall(_LENGTH.pack(len(encoded)) + encoded)
        sock.sendall(body)
    except MemoryError:
        pass  # no answer: the parent says sheet.too_complex
    finally:
        sock.close()


def _recv(sock: socket.socket, size: int) -> bytes:
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        count = sock.recv_into(view[got:])
        if not count:
            raise EOFError
        got += count
    return bytes(buffer)


if __name__ == "__main__":
    serve(int(sys.argv[1]))
