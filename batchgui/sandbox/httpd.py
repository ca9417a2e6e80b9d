"""A small threaded HTTP/1.1 WSGI server with keep-alive, for the sandbox's front door.

Why not werkzeug's development server: it closes the connection after every response and then
waits 10 ms draining the socket, so each boto3 call pays a new TCP connection and a new thread.
SDK clients keep connections alive; this server does too, which is most of what makes SubmitJob
fast. What it supports: Content-Length and chunked request bodies, `Expect: 100-continue`,
Content-Length or chunked responses, HEAD, and closing every connection on `close_all()`.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote_to_bytes

log = logging.getLogger(__name__)
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
RAW_HEADERS_KEY = "batchgui.raw_headers"
MAX_DRAIN = 64 * 1024 * 1024
IDLE_TIMEOUT_S = 120.0


class LimitedBody:
    """`wsgi.input` for a Content-Length body: never reads past it, remembers what is left."""

    def __init__(self, stream: Any, length: int) -> None:
        self._stream = stream
        self.remaining = length

    def read(self, size: int | None = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        if size is None or size < 0 or size > self.remaining:
            size = self.remaining
        data: bytes = self._stream.read(size)
        self.remaining -= len(data)
        if not data:
            self.remaining = 0
        return data

    def readline(self, size: int | None = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        if size is None or size < 0 or size > self.remaining:
            size = self.remaining
        data: bytes = self._stream.readline(size)
        self.remaining -= len(data)
        return data

    def readlines(self, hint: int = -1) -> list[bytes]:
        return list(iter(self.readline, b""))

    def __iter__(self) -> Any:
        return iter(self.readline, b"")

    def drain(self) -> bool:
        """Read what the application left unread; False if too much to keep the connection."""
        if self.remaining > MAX_DRAIN:
            return False
        while self.remaining > 0:
            if not self.read(min(self.remaining, 1 << 20)):
                return False
        return True


class ChunkedBody:
    """`wsgi.input` for a `Transfer-Encoding: chunked` body (`wsgi.input_terminated`)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._left = 0
        self._done = False

    def _next_chunk(self) -> None:
        line = self._stream.readline(1024)
        size_text = line.split(b";", 1)[0].strip()
        try:
            self._left = int(size_text, 16)
        except ValueError:
            raise OSError("malformed chunked request body") from None
        if self._left == 0:
            while self._stream.readline(1024) not in (b"\r\n", b"\n", b""):  # trailers
                pass
            self._done = True

    def read(self, size: int | None = -1) -> bytes:
        out = bytearray()
        while not self._done and (size is None or size < 0 or len(out) < size):
            if self._left == 0:
                self._next_chunk()
                continue
            want = self._left if size is None or size < 0 else min(self._left, size - len(out))
            data = self._stream.read(want)
            if not data:
                raise OSError("chunked request body ended early")
            out += data
            self._left -= len(data)
            if self._left == 0:
                self._stream.readline(8)  # CRLF after the chunk
        return bytes(out)

    def readline(self, size: int | None = -1) -> bytes:
        out = bytearray()
        while size is None or size < 0 or len(out) < size:
            ch = self.read(1)
            if not ch:
                break
            out += ch
            if ch == b"\n":
                break
        return bytes(out)

    def __iter__(self) -> Any:
        return iter(self.readline, b"")

    def drain(self) -> bool:
        total = 0
        while True:
            data = self.read(1 << 20)
            if not data:
                return True
            total += len(data)
            if total > MAX_DRAIN:
                return False


class Connections:
    """Live connections, so that stopping can close keep-alive sockets and join their threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[socket.socket, threading.Thread] = {}

    def add(self, conn: socket.socket) -> None:
        with self._lock:
            self._items[conn] = threading.current_thread()

    def discard(self, conn: socket.socket) -> None:
        with self._lock:
            self._items.pop(conn, None)

    def close_all(self, deadline: float) -> None:
        with self._lock:
            items = list(self._items.items())
        for conn, _ in items:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for _, thread in items:
            thread.join(max(0.0, deadline - time.monotonic()))


class WSGIServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, host: str, port: int, app: WsgiApp) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), _Handler)
        self.app = app
        self.connections = Connections()
        self.server_port = int(self.socket.getsockname()[1])
        self.host = host

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away mid-response (or a socket closed by close_all) is not news;
        # anything else is logged, never printed over the app's stderr.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        log.error("sandbox HTTP connection failed", exc_info=exc)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: WSGIServer
    wbufsize = 64 * 1024  # headers and body leave in one send
    timeout = IDLE_TIMEOUT_S
    server_version = "batchgui-sandbox"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            with contextlib.suppress(ConnectionError, OSError):
                super().finish()
        finally:
            self.server.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle_expect_100(self) -> bool:
        self.send_response_only(100)
        self.end_headers()
        self.wfile.flush()
        return True

    def _environ(self, body: LimitedBody | ChunkedBody) -> dict[str, Any]:
        target = self.path
        if "://" in target:  # absolute-form request target
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        path, _, query = target.partition("?")
        client = self.client_address
        environ: dict[str, Any] = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": body,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "SERVER_SOFTWARE": self.server_version,
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query,
            "REQUEST_URI": target,
            "RAW_URI": target,
            "REMOTE_ADDR": str(client[0]) if isinstance(client, tuple) else "",
            "REMOTE_PORT": int(client[1]) if isinstance(client, tuple) else 0,
            "SERVER_NAME": self.server.host,
            "SERVER_PORT": str(self.server.server_port),
            "SERVER_PROTOCOL": self.request_version,
            RAW_HEADERS_KEY: list(self.headers.items()),
        }
        for name, value in self.headers.items():
            if "_" in name:  # can't be told from the dashed spelling in WSGI; see RAW_HEADERS_KEY
                continue
            key = name.upper().replace("-", "_")
            clean = value.replace("\r\n", "")
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            environ[key] = f"{environ[key]},{clean}" if key in environ else clean
        if isinstance(body, ChunkedBody):
            environ["wsgi.input_terminated"] = True
            environ.pop("CONTENT_LENGTH", None)
        return environ

    def _run(self) -> None:
        chunked_in = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        body: LimitedBody | ChunkedBody
        if chunked_in:
            body = ChunkedBody(self.rfile)
        else:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                self.send_error(400, "Bad Content-Length")
                return
            body = LimitedBody(self.rfile, length)
        environ = self._environ(body)
        state: dict[str, Any] = {"status": None, "headers": None, "sent": False, "chunked": False}

        def write(data: bytes) -> None:
            if not state["sent"]:
                code_text, _, reason = str(state["status"]).partition(" ")
                code = int(code_text)
                self.send_response_only(code, reason or None)
                names = set()
                for name, value in state["headers"]:
                    names.add(name.lower())
                    self.send_header(name, value)
                if "date" not in names:
                    self.send_header("Date", self.date_time_string())
                if (
                    "content-length" not in names
                    and self.command != "HEAD"
                    and not (100 <= code < 200 or code in (204, 304))
                ):
                    state["chunked"] = True
                    self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                state["sent"] = True
            if data and self.command != "HEAD":
                if state["chunked"]:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                else:
                    self.wfile.write(data)

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if exc_info and state["sent"]:
                raise exc_info[1].with_traceback(exc_info[2])
            state["status"] = status
            state["headers"] = headers
            return write

        result = self.server.app(environ, start_response)
        try:
            for data in result:
                if data:
                    write(data)
            if not state["sent"]:
                write(b"")
            if state["chunked"]:
                self.wfile.write(b"0\r\n\r\n")
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        self.wfile.flush()
        try:
            if not body.drain():
                self.close_connection = True
        except OSError:
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _run
