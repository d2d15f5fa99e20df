"""The anchor: a raw signed request loop, as fast as one client thread can drive the target.

Plain ``requests.Session`` + ``requests-aws4auth`` (the transport and signer the harness's own
``EcrClient`` uses, without anything around them): every request is signed anew, as the suite signs
each of its requests. It sends StartImageScan for a repository that does not exist, the request most
of the suite sends, so the target's cost per request is that of the suite's commonest answer.
"""

from __future__ import annotations

import json
import time
from collections import Counter

import requests
from requests_aws4auth import AWS4Auth

from ecrconf.wire import protocol

ABSENT = {"repositoryName": "ecrconf-bench-absent", "imageId": {"imageTag": "absent"}}
CREDENTIALS = ("testing", "testing")


def raw_loop(endpoint: str, *, count: int = 500, warmup: int = 20, region: str = "us-east-1") -> dict:
    """Send warmup then count signed StartImageScan requests one after the other.

    Returns ``{"requests": count, "seconds": wall of the counted requests, "rate": requests per second,
    "statuses": {status: n}}``. A transport error (refused, reset, timeout) raises
    ``requests.RequestException``: the anchor is meaningless without answers.
    """
    session = requests.Session()
    auth = AWS4Auth(*CREDENTIALS, region, "ecr")
    body = json.dumps(ABSENT).encode()
    headers = {"Content-Type": protocol.CONTENT_TYPE, "X-Amz-Target": protocol.target_header("StartImageScan")}
    url = endpoint.rstrip("/") + "/"
    for _ in range(warmup):
        session.post(url, data=body, headers=headers, auth=auth, timeout=30).content
    statuses: Counter[int] = Counter()
    start = time.perf_counter()
    for _ in range(count):
        response = session.post(url, data=body, headers=headers, auth=auth, timeout=30)
        response.content  # read the whole answer, as the harness does
        statuses[response.status_code] += 1
    seconds = time.perf_counter() - start
    return {"requests": count, "seconds": seconds, "rate": count / seconds,
            "statuses": {str(k): v for k, v in sorted(statuses.items())}}
