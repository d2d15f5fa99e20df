"""A loopback proxy in front of an ECR endpoint that breaks on purpose: the faults a gate must survive.

``FaultyProxy(upstream, policy)`` forwards each POST to upstream unless ``policy(operation, n)`` (the
X-Amz-Target operation and the 1-based count of requests so far) says otherwise:

    "forward"             pass the request on (any method) and its answer back
    "close"               close the connection without a reply (what a dying target does)
    (status, body dict)   answer this awsJson1_1 body instead of the upstream
"""

from __future__ import annotations

import http.client
import http.server
import json
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

Policy = Callable[[str, int], object]


def breaking(operation: str, decision: object = "close") -> Policy:
    """A policy that gives every request for operation ``decision`` and forwards the rest."""
    return lambda name, n: decision if name == operation else "forward"


class FaultyProxy:
    def __init__(self, upstream: str, policy: Policy):
        self.upstream = urlsplit(upstream)
        self.policy = policy
        self.requests = 0
        self.dropped = 0
        self._lock = threading.Lock()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FaultyProxy:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _decide(self, operation: str) -> object:
        with self._lock:
            self.requests += 1
            n = self.requests
        decision = self.policy(operation, n)  # outside the lock: a policy may take its time
        if decision == "close":
            with self._lock:
                self.dropped += 1
        return decision

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                operation = (self.headers.get("X-Amz-Target") or "").rpartition(".")[2]
                decision = proxy._decide(operation)
                if decision == "close":
                    self.close_connection = True
                    self.connection.close()
                    return
                if decision == "forward":
                    status, headers, answer = self._forward(body)
                else:
                    status, document = decision
                    headers = [("Content-Type", "application/x-amz-json-1.1")]
                    answer = json.dumps(document).encode()
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_PUT = do_DELETE = do_POST

            def _forward(self, body: bytes):
                up = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=30)
                try:
                    skip = {"host", "content-length", "connection"}
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
                    up.request(self.command, self.path, body, headers)
                    answer = up.getresponse()
                    kept = [(k, v) for k, v in answer.getheaders()
                            if k.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date")]
                    return answer.status, kept, answer.read()
                finally:
                    up.close()

            def log_message(self, *args):
                pass

        return Handler
