"""The reference's conformant variant knobs of operation semantics change its answers (a variant whose knob
changed nothing would pass the calibration for nothing). The breakage knobs are shown by their kills."""

from __future__ import annotations

import json

from selftest.reference import Behaviour, ReferenceEcr
from selftest.reference_calls import Caller


def rule(priority: int, status: str) -> dict:
    prefixes = {"tagPrefixList": ["v"]} if status == "tagged" else {}
    return {"rulePriority": priority, "action": {"type": "expire"},
            "selection": {"tagStatus": status, "countType": "imageCountMoreThan", "countNumber": 5, **prefixes}}


def test_lifecycle_rules_come_back_by_priority_or_in_the_order_put():
    put = {"rules": [rule(2, "untagged"), rule(1, "tagged")]}
    orders = {}
    for name, behaviour in (("strict", Behaviour()), ("as put", Behaviour(lifecycle_rules_as_put=True))):
        with ReferenceEcr(behaviour) as url:
            caller = Caller(url)
            repository = caller.repository()
            caller.ok("PutLifecyclePolicy", {"repositoryName": repository, "lifecyclePolicyText": json.dumps(put)})
            got = caller.ok("GetLifecyclePolicy", {"repositoryName": repository})["lifecyclePolicyText"]
            orders[name] = [r["rulePriority"] for r in json.loads(got)["rules"]]
    assert orders == {"strict": [1, 2], "as put": [2, 1]}
