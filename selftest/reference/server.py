"""The reference ECR endpoint over HTTP: a ThreadingHTTPServer on 127.0.0.1, in a daemon thread.

    with ReferenceEcr() as url:
        ...  # sign with REFERENCE_KEYS for region us-east-1
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ecrconf.resources import turns
from selftest.reference.behaviour import Behaviour
from selftest.reference.pipeline import Pipeline
from selftest.reference.sigv4 import KeyPair, Received

REFERENCE_KEYS = KeyPair("AKIAREFERENCE0EXAMPLE", "reference/secret/key/for/selftests/only")
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"


class ReferenceEcr:
    def __init__(self, behaviour: Behaviour = Behaviour(), *, keys: KeyPair = REFERENCE_KEYS, region: str = REGION,
                 account_id: str = ACCOUNT_ID, clock: Callable[[], float] = time.time):
        self.behaviour = behaviour
        self.keys = keys
        self.region = region
        self.account_id = account_id
        self.pipeline = Pipeline(behaviour, keys, region, account_id, clock)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the reference endpoint is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        if self._server is None:
            self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
            self._server.daemon_threads = True
            self._server.pipeline = self.pipeline
            # a short poll interval: stop() waits for the serving loop to notice (0.5 s by default)
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                            name="reference-ecr", daemon=True)
            self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            turns.remove_files(self.url)  # what runs against this endpoint shared; none is left to run
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as clients' sessions expect
    disable_nagle_algorithm = True  # headers and body go out in two writes: without this, 40 ms per call

    def version_string(self) -> str:
        return "Server"  # what real ECR calls itself (API_StartImageScan sample response)

    def _serve(self) -> None:
        declared = self.headers.get("Content-Length") or "0"
        length = int(declared) if declared.isdigit() else 0
        if self.headers.get("Transfer-Encoding") or not declared.isdigit():
            self.close_connection = True  # a body not read leaves the connection unusable
        body = self.rfile.read(length) if length > 0 else b""
        reply = self.server.pipeline.handle(Received(self.command, self.path, tuple(self.headers.items()), body))
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_POST = do_GET = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

    def log_message(self, format: str, *args) -> None:  # no request log on the test output
        pass
