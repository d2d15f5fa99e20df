"""Run one benchmarked target in a process of its own: ``python -m ecrconf.bench.serve moto|stub``.

It binds 127.0.0.1 on a port the OS picks, prints the endpoint URL as its first line of output and
serves until its standard input closes (the parent ends it that way, or by terminating it). A process of
its own, so that the target never competes with the measuring process for one interpreter lock.
"""

from __future__ import annotations

import sys
import threading

KINDS = ("moto", "stub")


def start(kind: str):
    """Start a server of kind in background threads; return (url, stop). ValueError for an unknown kind."""
    if kind == "moto":
        from ecrconf.target import EmbeddedMoto
        moto = EmbeddedMoto()
        return moto.start(), moto.stop
    if kind == "stub":
        from ecrconf.bench import stub
        server = stub.serve()
        threading.Thread(target=server.serve_forever, daemon=True).start()
        host, port = server.server_address[:2]
        return f"http://{host}:{port}", server.shutdown
    raise ValueError(f"unknown server kind {kind!r}: one of {', '.join(KINDS)}")


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in KINDS:
        sys.stderr.write(f"usage: python -m ecrconf.bench.serve {{{'|'.join(KINDS)}}}\n")
        return 2
    url, stop = start(argv[0])
    print(url, flush=True)
    try:
        sys.stdin.read()  # until the parent closes our stdin
    except KeyboardInterrupt:
        pass
    stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
