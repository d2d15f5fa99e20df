"""The identifiers check of the generic suite (ecrconf/checks/identifiers.py): it fails on each crafted wrong
name, registry, ARN or URI, and passes on ECR's forms, other partitions and what it leaves to other checks."""

from __future__ import annotations

import json

import pytest

from ecrconf.checks import ConformanceFailure
from ecrconf.checks.identifiers import names_what_was_asked
from ecrconf.wire import protocol
from ecrconf.wire.exchange import Exchange, Request, Response

REGISTRY = "123456789012"
NAME = "team/app"
REPOSITORY = {"registryId": REGISTRY, "repositoryName": NAME,
              "repositoryArn": f"arn:aws:ecr:us-east-1:{REGISTRY}:repository/{NAME}",
              "repositoryUri": f"{REGISTRY}.dkr.ecr.us-east-1.amazonaws.com/{NAME}", "createdAt": 1.5}


def answered(body: dict, operation: str = "CreateRepository") -> Exchange:
    request = Request("POST", "http://127.0.0.1:1/", {"X-Amz-Target": protocol.target_header(operation)}, b"{}")
    return Exchange(operation, request, Response(200, {"content-type": protocol.CONTENT_TYPE},
                                                 json.dumps(body).encode()), 0.01)


def judged(body: dict, request: dict, region: str = "us-east-1", operation: str = "CreateRepository") -> None:
    names_what_was_asked(answered(body, operation), request, REGISTRY, region)


@pytest.mark.parametrize("body, request_, region", [
    pytest.param({"repository": REPOSITORY}, {"repositoryName": NAME}, "us-east-1", id="create"),
    pytest.param({"repository": {**REPOSITORY, "repositoryArn": f"arn:aws-cn:ecr:cn-north-1:{REGISTRY}:repository/{NAME}",
                                 "repositoryUri": f"{REGISTRY}.dkr.ecr.cn-north-1.amazonaws.com.cn/{NAME}"}},
                 {"repositoryName": NAME}, "cn-north-1", id="china-partition"),
    pytest.param({"repositories": [REPOSITORY]}, {"repositoryNames": [NAME, "other"]}, "us-east-1", id="one-of-names"),
    pytest.param({"repository": {**REPOSITORY, "repositoryUri": f"localhost.localstack.cloud:4566/{NAME}"}},
                 {"repositoryName": NAME}, "us-east-1", id="uri-on-an-emulators-own-registry-host"),
    pytest.param({"registryId": REGISTRY, "repositoryName": NAME, "imageTagMutability": "MUTABLE"},
                 {"repositoryName": NAME}, "us-east-1", id="top-level-echo"),
    pytest.param({"images": [], "failures": [{"imageId": {}, "repositoryName": "x", "registryId": "000000000000"}]},
                 {"repositoryName": NAME}, "us-east-1", id="failures-left-to-not-found-checks"),
    pytest.param({"repository": {"repositoryName": NAME}}, {"repositoryName": NAME}, "us-east-1", id="members-absent"),
    pytest.param({"rules": [{"registryId": "000000000000", "region": "eu-west-1"}]}, {}, "us-east-1",
                 id="destination-registry-is-not-the-owner"),
])
def test_answers_in_ecrs_forms_pass(body, request_, region):
    judged(body, request_, region)


@pytest.mark.parametrize("body, request_, title", [
    pytest.param({"repository": {**REPOSITORY, "repositoryName": "another"}}, {"repositoryName": NAME},
                 "repository.repositoryName is not the repository asked for", id="other-name"),
    pytest.param({"registryId": "000000000000", "repositoryName": NAME}, {"repositoryName": NAME},
                 "registryId is not the registry asked for", id="other-registry"),
    pytest.param({"repositories": [{**REPOSITORY, "registryId": "000000000000"}]}, {},
                 "repositories[0].registryId is not the registry asked for", id="listed-other-registry"),
    pytest.param({"repository": {**REPOSITORY, "repositoryArn": f"arn:aws:ecr:us-east-1:{REGISTRY}:{NAME}"}},
                 {"repositoryName": NAME}, "repositoryArn does not have ECR's form", id="arn-without-resource-type"),
    pytest.param({"repository": {**REPOSITORY, "repositoryArn": f"arn:aws:ecr:eu-west-1:{REGISTRY}:repository/{NAME}"}},
                 {"repositoryName": NAME}, "repositoryArn does not have ECR's form", id="arn-other-region"),
    pytest.param({"repository": {**REPOSITORY, "repositoryUri": f"{REGISTRY}.dkr.ecr.us-east-1.amazonaws.com/other"}},
                 {"repositoryName": NAME}, "repositoryUri does not have ECR's form", id="uri-other-name"),
    pytest.param({"repository": {**REPOSITORY, "repositoryUri": f"https://{REGISTRY}.dkr.ecr.us-east-1.amazonaws.com/{NAME}"}},
                 {"repositoryName": NAME}, "repositoryUri does not have ECR's form", id="uri-with-a-scheme"),
    pytest.param({"repository": {**REPOSITORY, "repositoryUri": 7}}, {"repositoryName": NAME},
                 "repositoryUri does not have ECR's form", id="uri-not-a-string"),
])
def test_each_wrong_identifier_fails(body, request_, title):
    with pytest.raises(ConformanceFailure, match=title.replace("[", r"\[").replace("]", r"\]")):
        judged(body, request_)


def test_the_registry_a_request_names_is_the_one_expected():
    judged({"registryId": "210987654321", "repositoryName": NAME}, {"registryId": "210987654321", "repositoryName": NAME})
    with pytest.raises(ConformanceFailure, match="registryId is not the registry asked for"):
        judged({"registryId": REGISTRY, "repositoryName": NAME}, {"registryId": "210987654321", "repositoryName": NAME})
