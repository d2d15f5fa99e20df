"""Run one benchmarked target in a process of its own: ``python -m ecrconf.bench.serve moto|stub [LATENCY_MS]``.

It binds 127.0.0.1 on a port the OS picks, prints the endpoint URL as its first line of output and
serves until its standard input closes (the parent ends it that way, or by terminating it). A process of
its own, so that the target never competes with the measuring process for one interpreter lock.
"""

from __future__ import annotations

import sys
import threading

KINDS = ("moto", "stub")


def start(kind: str, latency_ms: float = 0.0):
    """Start a server of kind in background threads; return (url, stop). ValueError for an unknown kind.
    latency_ms delays each of the stub's answers (see stub.serve); moto answers as fast as it can."""
    if kind == "moto":
        from ecrconf.run.target import EmbeddedMoto
        moto = EmbeddedMoto()
        return moto.start(), moto.stop
    if kind == "stub":
        from ecrconf.bench import stub
        server = stub.serve(latency=latency_ms / 1000)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        host, port = server.server_address[:2]
        return f"http://{host}:{port}", server.shutdown
    raise ValueError(f"unknown server kind {kind!r}: one of {', '.join(KINDS)}")


def main(argv: list[str]) -> int:
    try:
        kind, *rest = argv  # an empty argv is a ValueError too
        if kind not in KINDS or len(rest) > (kind == "stub"):
            raise ValueError
        latency_ms = float(rest[0]) if rest else 0.0
        if not 0 <= latency_ms < 60_000:
            raise ValueError
    except ValueError:
        sys.stderr.write("usage: python -m ecrconf.bench.serve moto | stub [LATENCY_MS]\n")
        return 2
    url, stop = start(kind, latency_ms)
    print(url, flush=True)
    try:
        sys.stdin.read()  # until the parent closes our stdin
    except KeyboardInterrupt:
        pass
    stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
