"""Every operation of the model on the reference endpoint: a valid request answers 200 with a body valid
against the operation's output schema, under the strict defaults and under every conformant variant knob.
The rules behind the answers are tested in test_reference_repositories_images.py and
test_reference_registry.py (ops rows: /work/shared/research/real-ecr-behaviour-operations.md)."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from ecrconf.resources import images
from ecrconf.spec import schemas
from selftest.reference import Behaviour, ReferenceEcr
from selftest.reference_calls import ACCOUNT, Caller, arn

LIFECYCLE = json.dumps({"rules": [{"rulePriority": 1, "description": "keep five untagged images",
                                   "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan",
                                                 "countNumber": 5}, "action": {"type": "expire"}}]})
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "AllowPull", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
     "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]})
SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:ecr-pullthroughcache/docker-hub"
SIGNING = {"rules": [{"signingProfileArn": f"arn:aws:signer:us-east-1:{ACCOUNT}:/signing-profiles/Profile1",
                      "repositoryFilters": [{"filter": "ops-*", "filterType": "WILDCARD_MATCH"}]}]}
REPLICATION = {"rules": [{"destinations": [{"region": "us-west-2", "registryId": ACCOUNT}]}]}
VARIANTS = {"strict": Behaviour(), "page-size-cap": Behaviour(page_size_cap=2),
            "token-format": Behaviour(token_format="hex"), "reverse-list-order": Behaviour(reverse_list_order=True),
            "policy-whitespace": Behaviour(policy_whitespace=True),
            "omit-optional-members": Behaviour(omit_optional_members=True)}


class World:
    """What one test's requests work on: a repository with a tagged image, and names of its own."""

    def __init__(self, caller: Caller):
        self.caller = caller
        self.repository = caller.repository()
        self.image = caller.push(self.repository, tag="v1")
        self.image_id = {"imageDigest": self.image.digest}
        self.where = {"repositoryName": self.repository}
        self.prefix = f"ptc-{uuid.uuid4().hex[:8]}"
        self.principal = f"arn:aws:iam::{ACCOUNT}:role/puller-{uuid.uuid4().hex[:8]}"
        # a destination of its own: under the frozen clock a backfill to it stays in progress
        self.destination = {"region": "us-west-2", "registryId": str(uuid.uuid4().int)[:12]}

    def rule(self) -> dict:
        return {"ecrRepositoryPrefix": self.prefix}

    def with_rule(self) -> dict:
        self.caller.ok("CreatePullThroughCacheRule", {**self.rule(), "upstreamRegistryUrl": "public.ecr.aws",
                                                      "upstreamRegistry": "ecr-public"})
        return self.rule()

    def with_template(self) -> dict:
        self.caller.ok("CreateRepositoryCreationTemplate", {"prefix": self.prefix, "appliedFor": ["REPLICATION"]})
        return {"prefix": self.prefix}

    def then(self, operation: str, payload: dict) -> dict:
        """payload, after a call that makes what it asks for exist."""
        self.caller.ok(operation, payload)
        return payload

    def part(self) -> dict:
        """An UploadLayerPart request: the 3 bytes "abc" into a new upload."""
        upload = self.caller.ok("InitiateLayerUpload", self.where)["uploadId"]
        return {**self.where, "uploadId": upload, "partFirstByte": 0, "partLastByte": 2, "layerPartBlob": "YWJj"}

    def completed_upload(self) -> dict:
        """A CompleteLayerUpload request of an upload holding "abc"."""
        part = self.then("UploadLayerPart", self.part())
        return {**self.where, "uploadId": part["uploadId"], "layerDigests": [images.digest_of(b"abc")]}

    def backfill(self) -> dict:
        answer = self.caller.ok("StartReplicationBackfill", {"destination": self.destination})
        return {"replicationBackfillId": answer["replicationBackfillId"]}


# A valid request per operation, made on resources the World (and the setup calls here) create.
VALID_REQUESTS = {
    "BatchCheckLayerAvailability": lambda w: {**w.where, "layerDigests": list(w.image.blobs)},
    "BatchDeleteImage": lambda w: {**w.where, "imageIds": [{"imageTag": "v1"}]},
    "BatchGetImage": lambda w: {**w.where, "imageIds": [w.image_id]},
    "BatchGetRepositoryScanningConfiguration": lambda w: {"repositoryNames": [w.repository]},
    "CompleteLayerUpload": lambda w: w.completed_upload(),
    "CreatePullThroughCacheRule": lambda w: {**w.rule(), "upstreamRegistryUrl": "public.ecr.aws",
                                             "upstreamRegistry": "ecr-public"},
    "CreateRepository": lambda w: {"repositoryName": f"new-{uuid.uuid4().hex[:8]}",
                                   "tags": [{"Key": "k", "Value": ""}]},
    "CreateRepositoryCreationTemplate": lambda w: {"prefix": w.prefix, "appliedFor": ["PULL_THROUGH_CACHE"],
                                                   "repositoryPolicy": POLICY, "lifecyclePolicy": LIFECYCLE},
    "DeleteLifecyclePolicy": lambda w: w.then("PutLifecyclePolicy", {**w.where, "lifecyclePolicyText": LIFECYCLE})
    and w.where,
    "DeletePullThroughCacheRule": lambda w: w.with_rule(),
    "DeleteRegistryPolicy": lambda w: w.then("PutRegistryPolicy", {"policyText": POLICY}) and {},
    "DeleteRepository": lambda w: {**w.where, "force": True},
    "DeleteRepositoryCreationTemplate": lambda w: w.with_template(),
    "DeleteRepositoryPolicy": lambda w: w.then("SetRepositoryPolicy", {**w.where, "policyText": POLICY}) and w.where,
    "DeleteSigningConfiguration": lambda w: w.then("PutSigningConfiguration", {"signingConfiguration": SIGNING})
    and {},
    "DeregisterPullTimeUpdateExclusion": lambda w: w.then("RegisterPullTimeUpdateExclusion",
                                                          {"principalArn": w.principal}),
    "DescribeImageReplicationStatus": lambda w: w.then("PutReplicationConfiguration",
                                                       {"replicationConfiguration": REPLICATION}) and
    {**w.where, "imageId": {"imageTag": "v1"}},
    "DescribeImageScanFindings": lambda w: w.then("StartImageScan", {**w.where, "imageId": w.image_id}),
    "DescribeImageSigningStatus": lambda w: w.then("PutSigningConfiguration", {"signingConfiguration": SIGNING})
    and {**w.where, "imageId": w.image_id},
    "DescribeImages": lambda w: {**w.where, "filter": {"tagStatus": "TAGGED"}, "maxResults": 5},
    "DescribePullThroughCacheRules": lambda w: {"ecrRepositoryPrefixes": [w.with_rule()["ecrRepositoryPrefix"]]},
    "DescribeRegistry": lambda w: w.then("PutReplicationConfiguration", {"replicationConfiguration": REPLICATION})
    and {},
    "DescribeReplicationBackfillResults": lambda w: w.backfill(),
    "DescribeRepositories": lambda w: {"repositoryNames": [w.repository]},
    "DescribeRepositoryCreationTemplates": lambda w: {"prefixes": [w.with_template()["prefix"]]},
    "GetAccountSetting": lambda w: {"name": "BASIC_SCAN_TYPE_VERSION"},
    "GetAuthorizationToken": lambda w: {},
    "GetDownloadUrlForLayer": lambda w: {**w.where, "layerDigest": list(w.image.blobs)[-1]},
    "GetLifecyclePolicy": lambda w: w.then("PutLifecyclePolicy", {**w.where, "lifecyclePolicyText": LIFECYCLE})
    and w.where,
    "GetLifecyclePolicyPreview": lambda w: w.then("StartLifecyclePolicyPreview",
                                                  {**w.where, "lifecyclePolicyText": LIFECYCLE}) and w.where,
    "GetRegistryPolicy": lambda w: w.then("PutRegistryPolicy", {"policyText": POLICY}) and {},
    "GetRegistryScanningConfiguration": lambda w: {},
    "GetRepositoryPolicy": lambda w: w.then("SetRepositoryPolicy", {**w.where, "policyText": POLICY}) and w.where,
    "GetSigningConfiguration": lambda w: w.then("PutSigningConfiguration", {"signingConfiguration": SIGNING}) and {},
    "InitiateLayerUpload": lambda w: w.where,
    "ListImageReferrers": lambda w: {**w.where, "subjectId": w.image_id},
    "ListImages": lambda w: {**w.where, "maxResults": 1},
    "ListPullTimeUpdateExclusions": lambda w: w.then("RegisterPullTimeUpdateExclusion",
                                                     {"principalArn": w.principal}) and {},
    "ListReplicationBackfills": lambda w: w.backfill() and {},
    "ListTagsForResource": lambda w: w.then("TagResource", {"resourceArn": arn(w.repository),
                                                            "tags": [{"Key": "team", "Value": "a"}]})
    and {"resourceArn": arn(w.repository)},
    "PutAccountSetting": lambda w: {"name": "BASIC_SCAN_TYPE_VERSION", "value": "AWS_NATIVE"},
    "PutImage": lambda w: {**w.where, "imageManifest": w.image.manifest.decode(), "imageTag": "v2"},
    "PutImageScanningConfiguration": lambda w: {**w.where, "imageScanningConfiguration": {"scanOnPush": True}},
    "PutImageTagMutability": lambda w: {**w.where, "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
                                        "imageTagMutabilityExclusionFilters": [{"filter": "dev-*",
                                                                                "filterType": "WILDCARD"}]},
    "PutLifecyclePolicy": lambda w: {**w.where, "lifecyclePolicyText": LIFECYCLE},
    "PutRegistryPolicy": lambda w: {"policyText": POLICY},
    "PutRegistryScanningConfiguration": lambda w: {"scanType": "BASIC", "rules": [
        {"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "ops-*", "filterType": "WILDCARD"}]}]},
    "PutReplicationConfiguration": lambda w: {"replicationConfiguration": REPLICATION},
    "PutSigningConfiguration": lambda w: {"signingConfiguration": SIGNING},
    "RegisterPullTimeUpdateExclusion": lambda w: {"principalArn": w.principal},
    "SetRepositoryPolicy": lambda w: {**w.where, "policyText": POLICY},
    "StartImageScan": lambda w: {**w.where, "imageId": {"imageTag": "v1"}},
    "StartLifecyclePolicyPreview": lambda w: {**w.where, "lifecyclePolicyText": LIFECYCLE},
    "StartReplicationBackfill": lambda w: {"destination": w.destination},
    "StopReplicationBackfill": lambda w: w.backfill(),
    "TagResource": lambda w: {"resourceArn": arn(w.repository), "tags": [{"Key": "team", "Value": "a"}]},
    "UntagResource": lambda w: {"resourceArn": arn(w.repository), "tagKeys": ["team"]},
    "UpdateImageStorageClass": lambda w: {**w.where, "imageId": w.image_id, "targetStorageClass": "ARCHIVE"},
    "UpdatePullThroughCacheRule": lambda w: {**w.with_rule(), "credentialArn": SECRET},
    "UpdateRepositoryCreationTemplate": lambda w: {**w.with_template(), "description": "for replicas"},
    "UploadLayerPart": lambda w: w.part(),
    "ValidatePullThroughCacheRule": lambda w: w.with_rule(),
}


class FrozenClock:
    """The server's time, still unless a test moves it: nothing asynchronous finishes on its own."""

    def __init__(self):
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module", params=list(VARIANTS))
def caller(request):
    with ReferenceEcr(VARIANTS[request.param], clock=FrozenClock()) as url:
        yield Caller(url)


def test_every_operation_of_the_model_has_a_valid_request_here():
    assert sorted(VALID_REQUESTS) == schemas.operation_names()
    assert len(VALID_REQUESTS) == 62


@pytest.mark.parametrize("operation", sorted(VALID_REQUESTS))
def test_a_valid_request_is_answered_200_with_a_body_valid_against_the_output_schema(caller, operation):
    payload = VALID_REQUESTS[operation](World(caller))
    assert schemas.violations("input", operation, payload) == []
    assert schemas.violations("output", operation, caller.ok(operation, payload)) == []
