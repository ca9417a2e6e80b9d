"""A small threaded HTTP/1.1 WSGI server with keep-alive, for the sandbox's front door.

Why not werkzeug's development server: it closes the connection after every response and then
waits 10 ms draining the socket, so each boto3 call pays a new TCP connection and a new thread.
SDK clients keep connections alive; this server does too, which is most of what makes SubmitJob
fast. What it supports: Content-Length and chunked request bodies, `Expect: 100-continue`,
Content-Length or chunked responses, HEAD, and closing every connection on `close_all()`.
Bounds: a cap on connections (503 ThrottlingException beyond it), request line and headers within
the header timeout once a request has begun, and each read of a body within BODY_READ_TIMEOUT_S;
headers are read by `read_headers` (http.client's limits, strict about malformed lines).
"""

from __future__ import annotations

import contextlib
import json
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
# A body the application left unread (a refused request) is drained up to this much to keep the
# connection; beyond it the connection is closed, so a refused upload is never read.
MAX_DRAIN = 1024 * 1024
IDLE_TIMEOUT_S = 120.0
# Once a request's first byte has arrived, its request line and headers must follow within this.
HEADER_TIMEOUT_S = 10.0
# A stalled body (no byte for this long) ends the connection.
BODY_READ_TIMEOUT_S = 30.0
MAX_CONNECTIONS = 128
_THROTTLED = json.dumps(
    {"__type": "ThrottlingException", "message": "Too many connections to the local sandbox; retry later."}
).encode()


class StallGuard:
    """Reads of a request body that must make progress: each read ends within `seconds`, else the
    deadline thread shuts the connection (the read then ends early, and the body is incomplete)."""

    def __init__(self, deadlines: HeaderDeadlines, conn: socket.socket, seconds: float) -> None:
        self._deadlines = deadlines
        self._conn = conn
        self._seconds = seconds

    def read(self, read: Callable[[int], bytes], size: int) -> bytes:
        self._deadlines.start(self._conn, self._seconds)
        try:
            return read(size)
        finally:
            self._deadlines.done(self._conn)


def _unguarded(read: Callable[[int], bytes], size: int) -> bytes:
    return read(size)


class LimitedBody:
    """`wsgi.input` for a Content-Length body: never reads past it, remembers what is left."""

    def __init__(self, stream: Any, length: int, guard: StallGuard | None = None) -> None:
        self._stream = stream
        self.remaining = length
        self._guarded = guard.read if guard is not None else _unguarded

    def read(self, size: int | None = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        if size is None or size < 0 or size > self.remaining:
            size = self.remaining
        data = self._guarded(self._stream.read, size)
        self.remaining -= len(data)
        if not data:
            self.remaining = 0
        return data

    def readline(self, size: int | None = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        if size is None or size < 0 or size > self.remaining:
            size = self.remaining
        data = self._guarded(self._stream.readline, size)
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

    def __init__(self, stream: Any, guard: StallGuard | None = None) -> None:
        self._stream = stream
        self._left = 0
        self._done = False
        self._guarded = guard.read if guard is not None else _unguarded

    def _next_chunk(self) -> None:
        line = self._guarded(self._stream.readline, 1024)
        size_text = line.split(b";", 1)[0].strip()
        try:
            self._left = int(size_text, 16)
        except ValueError:
            raise OSError("malformed chunked request body") from None
        if self._left == 0:
            while self._guarded(self._stream.readline, 1024) not in (b"\r\n", b"\n", b""):  # trailers
                pass
            self._done = True

    def read(self, size: int | None = -1) -> bytes:
        out = bytearray()
        while not self._done and (size is None or size < 0 or len(out) < size):
            if self._left == 0:
                self._next_chunk()
                continue
            want = self._left if size is None or size < 0 else min(self._left, size - len(out))
            data = self._guarded(self._stream.read, want)
            if not data:
                raise OSError("chunked request body ended early")
            out += data
            self._left -= len(data)
            if self._left == 0:
                self._guarded(self._stream.readline, 8)  # CRLF after the chunk
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


MAX_HEADER_LINE = 65536  # what http.client allows
MAX_HEADERS = 100


class BadHead(Exception):
    """A request line or header the server refuses: (HTTP status, message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Headers:
    """A request's headers in arrival order; lookups ignore case (what the handler needs of
    http.client.HTTPMessage, without the email parser behind it)."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def get(self, name: str, default: str | None = None) -> str | None:
        lower = name.lower()
        return next((v for n, v in self._items if n.lower() == lower), default)

    def get_all(self, name: str) -> list[str] | None:
        lower = name.lower()
        found = [v for n, v in self._items if n.lower() == lower]
        return found or None


def read_headers(rfile: Any) -> Headers:
    """Header lines up to the blank line, as http.client reads them (its line and count limits),
    but strict where RFC 9112 lets a server be: a line without a colon, a name with white space
    and obsolete line folding are refused (400) rather than guessed at."""
    items: list[tuple[str, str]] = []
    while True:
        raw: bytes = rfile.readline(MAX_HEADER_LINE + 1)
        if len(raw) > MAX_HEADER_LINE:
            raise BadHead(431, "Line too long")
        if raw in (b"\r\n", b"\n", b""):
            return Headers(items)
        if len(items) >= MAX_HEADERS:
            raise BadHead(431, "Too many headers")
        line = raw.decode("iso-8859-1")
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip() or " " in name or "\t" in name:
            raise BadHead(400, "Malformed header line" if line[0] not in " \t" else "Obsolete line folding")
        items.append((name, value.lstrip(" \t").rstrip("\r\n")))


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


class HeaderDeadlines:
    """Closes connections whose request headers (or the next part of a body) have not arrived in
    time: one thread for all, so the hot path never changes a socket's timeout."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._due: dict[socket.socket, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sandbox-http-deadlines", daemon=True)
        self._thread.start()

    def start(self, conn: socket.socket, seconds: float) -> None:
        with self._lock:
            self._due[conn] = time.monotonic() + seconds

    def done(self, conn: socket.socket) -> None:
        with self._lock:
            self._due.pop(conn, None)

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            now = time.monotonic()
            with self._lock:
                late = [conn for conn, due in self._due.items() if due < now]
                for conn in late:
                    del self._due[conn]
            for conn in late:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(1.0)


class WSGIServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self,
        host: str,
        port: int,
        app: WsgiApp,
        max_connections: int = MAX_CONNECTIONS,
        header_timeout_s: float = HEADER_TIMEOUT_S,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), _Handler)
        self.app = app
        self.connections = Connections()
        self.server_port = int(self.socket.getsockname()[1])
        self.host = host
        self.max_connections = max_connections
        self.header_timeout_s = header_timeout_s
        self.deadlines = HeaderDeadlines()
        self._active = 0
        self._active_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._active_lock:
            full = self._active >= self.max_connections
            if not full:
                self._active += 1
        if full:
            # AWS-style throttling, answered from the accept thread without reading the request.
            with contextlib.suppress(OSError):
                request.settimeout(0.2)
                request.sendall(
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/x-amz-json-1.1\r\n"
                    b"x-amzn-ErrorType: ThrottlingException\r\nRetry-After: 1\r\nConnection: close\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(_THROTTLED), _THROTTLED)
                )
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._release()
            raise

    def _release(self) -> None:
        with self._active_lock:
            self._active -= 1

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._release()

    def server_close(self) -> None:
        super().server_close()
        self.deadlines.close()

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
    raw_requestline: bytes
    wbufsize = 64 * 1024  # headers and body leave in one send
    timeout = IDLE_TIMEOUT_S  # the socket's, set once (StreamRequestHandler.setup)
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

    def handle_one_request(self) -> None:
        # Idle keep-alive connections may wait IDLE_TIMEOUT_S (the socket's timeout, set once) for
        # their next request; once its first byte is in, the request line and headers must arrive
        # within the header timeout, and a body that stalls is cut after BODY_READ_TIMEOUT_S, both
        # by the deadline thread: no settimeout (two fcntl calls and a thread switch) per request.
        try:
            rfile: Any = self.rfile  # a BufferedReader over the socket
            if not rfile.peek(1):
                self.close_connection = True
                return
        except (OSError, ValueError):
            self.close_connection = True
            return
        self.server.deadlines.start(self.connection, self.server.header_timeout_s)
        self._deadline_open = True
        try:
            super().handle_one_request()
        finally:
            self._headers_done()

    def _headers_done(self) -> None:
        if getattr(self, "_deadline_open", False):
            self._deadline_open = False
            self.server.deadlines.done(self.connection)

    def _stall_guard(self) -> StallGuard:
        return StallGuard(self.server.deadlines, self.connection, BODY_READ_TIMEOUT_S)

    def parse_request(self) -> bool:
        """BaseHTTPRequestHandler.parse_request (Python 3.11) with `read_headers` for its header
        parser: the email package's took a fifth of a SubmitJob's time in the server."""
        self.command = None  # type: ignore[assignment]  # set in case of error on the first line
        self.request_version = version = self.default_request_version
        self.close_connection = True
        requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        self.requestline = requestline
        words = requestline.split()
        if not words:
            return False
        if len(words) >= 3:
            version = words[-1]
            try:
                if not version.startswith("HTTP/"):
                    raise ValueError
                numbers = version.split("/", 1)[1].split(".")
                if len(numbers) != 2 or any(not n.isdigit() or len(n) > 10 for n in numbers):
                    raise ValueError
                version_number = int(numbers[0]), int(numbers[1])
            except (ValueError, IndexError):
                self.send_error(400, f"Bad request version ({version!r})")
                return False
            if version_number >= (1, 1):
                self.close_connection = False
            if version_number >= (2, 0):
                self.send_error(505, f"Invalid HTTP version ({version})")
                return False
            self.request_version = version
        if not 2 <= len(words) <= 3:
            self.send_error(400, f"Bad request syntax ({requestline!r})")
            return False
        command, path = words[:2]
        if len(words) == 2:
            self.close_connection = True
            if command != "GET":
                self.send_error(400, f"Bad HTTP/0.9 request type ({command!r})")
                return False
        self.command, self.path = command, path
        if self.path.startswith("//"):
            self.path = "/" + self.path.lstrip("/")  # gh-87389, as the standard library does
        try:
            self.headers = read_headers(self.rfile)  # type: ignore[assignment]
        except BadHead as exc:
            self.send_error(exc.status, exc.message)
            return False
        conntype = (self.headers.get("Connection") or "").lower()
        if conntype == "close":
            self.close_connection = True
        elif conntype == "keep-alive":
            self.close_connection = False
        expect = (self.headers.get("Expect") or "").lower()
        if expect == "100-continue" and self.request_version >= "HTTP/1.1":
            return self.handle_expect_100()
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors before the application (bad request line, headers, Content-Length): AWS-style JSON."""
        self.close_connection = True
        error = {400: "BadRequest", 408: "RequestTimeout", 413: "RequestEntityTooLarge", 431: "BadRequest"}
        name = error.get(code, "BadRequest" if code < 500 else "InternalFailure")
        body = json.dumps({"__type": name, "message": message or explain or "Bad request"}).encode()
        with contextlib.suppress(OSError):
            self.send_response_only(code, message)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("x-amzn-ErrorType", name)
            self.send_header("Connection", "close")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD" and code >= 200 and code not in (204, 304):
                self.wfile.write(body)
            self.wfile.flush()

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
        self._headers_done()
        transfer_encoding = self.headers.get("Transfer-Encoding", "").lower()
        chunked_in = "chunked" in transfer_encoding
        lengths = self.headers.get_all("Content-Length") or []
        body: LimitedBody | ChunkedBody
        if chunked_in:
            if lengths:  # both framings: a request-smuggling shape, refused as AWS's front ends do
                self.send_error(400, "Content-Length with Transfer-Encoding")
                return
            body = ChunkedBody(self.rfile, self._stall_guard())
        else:
            if transfer_encoding:
                self.send_error(501, "Unsupported Transfer-Encoding")
                return
            text = lengths[0].strip() if lengths else "0"
            if len(set(lengths)) > 1 or not text.isdigit() or len(text) > 18:
                self.send_error(400, "Bad Content-Length")
                return
            body = LimitedBody(self.rfile, int(text), self._stall_guard())
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
