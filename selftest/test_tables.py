"""The operation tables (fixtures/operations): every one well-formed and true to the model, and a bad one
refused in one line that names the file and the fault."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace

import pytest

from ecrconf.spec import schemas
from ecrconf.generate import tables
from ecrconf.generate.tables import TableInvalid

ACCOUNT = "123456789012"
DIGEST = "sha256:" + "ab" * 32
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Sid": "run", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": ["ecr:BatchGetImage"]}]})
REGISTRY_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Sid": "run", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": ["ecr:ReplicateImage", "ecr:CreateRepository"],
    "Resource": f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/*"}]})
LIFECYCLE = json.dumps({"rules": [{"rulePriority": 1, "description": "expire untagged images of the run",
                                   "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                                                 "countUnit": "days", "countNumber": 1},
                                   "action": {"type": "expire"}}]})
MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json"})
UPLOAD = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecrconf-abc123"
# Values of the shape the run's world gives, to fill every table's requests without a target.
WORLD = SimpleNamespace(
    registry=ACCOUNT, region="us-east-1",
    repository=SimpleNamespace(name="ecrconf-abc123-main-1", arn=f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/r",
                               uri=f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/r"),
    image=SimpleNamespace(repository="ecrconf-abc123-main-2", digest=DIGEST, tag="v1", manifest=MANIFEST,
                          media_type="application/vnd.oci.image.manifest.v1+json", layer=DIGEST),
    new=SimpleNamespace(repository="ecrconf-abc123-main-3", tag="v2", cache_prefix="ecrconf-abc123-cache-1",
                        template="ecrconf-abc123-template-1", principal=f"{ROLE}-exclusion-1"),
    new_image=SimpleNamespace(repository="ecrconf-abc123-main-4", manifest=MANIFEST, digest=DIGEST,
                              media_type="application/vnd.oci.image.manifest.v1+json", layer=DIGEST),
    upload=SimpleNamespace(repository="ecrconf-abc123-main-5", id=UPLOAD),
    part=SimpleNamespace(repository="ecrconf-abc123-main-5", id=UPLOAD,
                         blob=base64.b64encode(b"layer").decode(), last_byte="4"),
    sent=SimpleNamespace(repository="ecrconf-abc123-main-5", id=UPLOAD, digest=DIGEST),
    policy_repository=SimpleNamespace(name="ecrconf-abc123-main-6"),
    lifecycle_repository=SimpleNamespace(name="ecrconf-abc123-main-7"),
    scanned=SimpleNamespace(repository="ecrconf-abc123-main-8", digest=DIGEST),
    unscanned=SimpleNamespace(repository="ecrconf-abc123-main-9", digest=DIGEST),
    preview_repository=SimpleNamespace(name="ecrconf-abc123-main-10"),
    cache_rule=SimpleNamespace(prefix="ecrconf-abc123-cache-2"),
    template=SimpleNamespace(prefix="ecrconf-abc123-template-2"),
    exclusion=SimpleNamespace(principal=f"{ROLE}-exclusion-2"),
    replication=SimpleNamespace(region="us-west-2", registry=ACCOUNT),
    backfill=SimpleNamespace(id="3f2b7c1e-5d4a-4e8b-9c6d-0a1b2c3d4e5f"),
    texts=SimpleNamespace(repository_policy=POLICY, lifecycle_policy=LIFECYCLE, registry_policy=REGISTRY_POLICY),
    absent=SimpleNamespace(repository="ecrconf-abc123-main-absent", digest="sha256:" + "0" * 64, tag="absent",
                           upload="00000000-0000-4000-8000-000000000000",
                           arn=f"arn:aws:ecr:us-east-1:{ACCOUNT}:repository/ecrconf-abc123-main-absent",
                           prefix="ecrconf-absent", template="ecrconf-abc123-template-absent",
                           principal=f"{ROLE}-absent", backfill="00000000-0000-4000-8000-000000000001"),
)


def test_the_world_above_fills_every_placeholder_of_the_vocabulary():
    for name in tables.VOCABULARY:
        root, _, attribute = name.partition(".")
        value = getattr(WORLD, root)
        assert isinstance(getattr(value, attribute) if attribute else value, str), name


@pytest.mark.parametrize("operation", tables.operations())
def test_table_requests_are_valid_requests(operation):
    """The success request and every not-found request, filled, satisfy the operation's input schema."""
    table = tables.table(operation)
    for request in [table.request, *(table.absent(case) for case in table.not_found)]:
        filled = tables.fill(operation, request, WORLD)
        assert schemas.violations("input", operation, filled) == [], filled


def test_every_operation_of_the_model_has_a_table():
    assert tables.operations() == sorted(schemas.operations())
    assert [table.operation for table in tables.tables()] == sorted(schemas.operations())


@pytest.mark.parametrize("operation", tables.operations())
def test_a_table_that_names_a_repository_says_what_an_absent_one_answers(operation):
    """base 4.1: a repository that does not exist gives RepositoryNotFoundException, so every table whose
    request names one by repositoryName (and whose operation models the error) has that case."""
    table = tables.table(operation)
    if "repositoryName" not in table.request or "RepositoryNotFoundException" not in schemas.modelled_errors(operation):
        return
    cases = {case.member: case for case in table.not_found}
    assert "repositoryName" in cases, operation
    assert (cases["repositoryName"].value, cases["repositoryName"].error) == ("{absent.repository}",
                                                                            "RepositoryNotFoundException")


def test_account_wide_tables_are_the_calls_that_change_registry_or_account_state():
    """Reads are never account-wide; every write of a registry-wide family is."""
    writes = ("Put", "Delete", "Create", "Update", "Register", "Deregister", "Start", "Stop")
    registry_wide = {"registry", "replication", "pull-through-cache", "templates", "signing", "account"}
    for table in tables.tables():
        if table.account_wide:
            assert table.operation.startswith(writes), table.operation
        elif table.family in registry_wide and table.operation.startswith(writes):
            raise AssertionError(f"{table.operation} changes {table.family} state but is not account_wide")
    wide = {table.operation for table in tables.tables() if table.account_wide}
    assert {"PutRegistryPolicy", "DeleteRegistryPolicy", "PutRegistryScanningConfiguration"} <= wide
    assert not wide & {"GetRegistryPolicy", "DescribeRegistry", "GetAuthorizationToken", "PutImage"}


def test_fill_gives_integers_where_the_model_has_them():
    filled = tables.fill("UploadLayerPart", {"partFirstByte": "0", "partLastByte": "{part.last_byte}"}, WORLD)
    assert filled == {"partFirstByte": 0, "partLastByte": 4}


def test_replaced_sets_a_nested_member_and_refuses_one_the_request_lacks():
    request = {"repositoryName": "r", "imageIds": [{"imageDigest": "d"}]}
    assert tables.replaced(request, "imageIds[0].imageDigest", "x") == {"repositoryName": "r",
                                                                       "imageIds": [{"imageDigest": "x"}]}
    assert request["imageIds"][0]["imageDigest"] == "d"
    for member in ("imageIds[1].imageDigest", "imageIds[0].imageTag", "registryId", "imageIds[0]]"):
        with pytest.raises(KeyError):
            tables.replaced(request, member, "x")


GOOD = '''family = "policies"
account_wide = false
evidence = "ops P.2"

[request]
repositoryName = "{policy_repository.name}"

[[not_found]]
member = "repositoryName"
value = "{absent.repository}"
error = "RepositoryNotFoundException"
evidence = "base 4.1"
'''


@pytest.mark.parametrize(("change", "words"), [
    (lambda t: t.replace('family = "policies"', 'family = "misc"'), "family: 'misc' is not one of"),
    (lambda t: t.replace('account_wide = false\n', ''), "'account_wide' is a required property"),
    (lambda t: t.replace("[request]", "[request"), "not TOML"),
    (lambda t: t.replace('repositoryName = "{policy', 'repositoryNam = "{policy'), "has no input member 'repositoryNam'"),
    (lambda t: t.replace("{absent.repository}", "{absent.nothing}"), "{absent.nothing} is not a placeholder"),
    (lambda t: t.replace('error = "RepositoryNotFoundException"', 'error = "NoSuchRepository"'),
     "NoSuchRepository is neither modelled for GetRepositoryPolicy nor a common error"),
    (lambda t: t.replace('error = "RepositoryNotFoundException"', 'failure = "ImageNotFound"'),
     "failure 'ImageNotFound' is not a failureCode"),
    (lambda t: t.replace('member = "repositoryName"', 'member = "registryId"'), "the request has no member 'registryId'"),
    (lambda t: t + t[t.index("[[not_found]]"):], "two cases with the same id"),
    (lambda t: t.replace('value = "{absent.repository}"\n', ''), "not_found/0: "),
    (lambda t: t.replace("{absent.repository}", "{absent.repository"), "malformed placeholder"),
    (lambda t: t.replace("{absent.repository}", "x}y"), "malformed placeholder: Single '}'"),
    (lambda t: t.replace("{absent.repository}", "{absent.repository!r}"), "conversion or format spec"),
    (lambda t: t + '[always]\nmembers = ["failures"]\nevidence = "ops I.6"\n',
     "always: GetRepositoryPolicy's output has no member 'failures'"),
    (lambda t: t + '[always]\nmembers = []\nevidence = "ops I.6"\n', "always/members: [] should be non-empty"),
])
def test_a_bad_table_is_refused_in_one_line(monkeypatch, tmp_path, change, words):
    (tmp_path / "GetRepositoryPolicy.toml").write_text(change(GOOD))
    (tmp_path / "table.schema.json").write_text((tables.DIRECTORY / "table.schema.json").read_text())
    monkeypatch.setattr(tables, "DIRECTORY", tmp_path)
    tables.table.cache_clear()
    try:
        with pytest.raises(TableInvalid) as raised:
            tables.table("GetRepositoryPolicy")
    finally:
        tables.table.cache_clear()
    message = str(raised.value)
    assert message.startswith("fixtures/operations/GetRepositoryPolicy.toml: ") and "\n" not in message
    assert words in message, message


def test_the_good_table_above_is_accepted(monkeypatch, tmp_path):
    (tmp_path / "GetRepositoryPolicy.toml").write_text(GOOD)
    (tmp_path / "table.schema.json").write_text((tables.DIRECTORY / "table.schema.json").read_text())
    monkeypatch.setattr(tables, "DIRECTORY", tmp_path)
    tables.table.cache_clear()
    try:
        found = tables.table("GetRepositoryPolicy")
    finally:
        tables.table.cache_clear()
    assert (found.family, [case.id for case in found.not_found]) == ("policies", ["repositoryName"])


def test_a_table_for_no_operation_is_refused():
    with pytest.raises(TableInvalid, match="'NoSuchOperation' is not an operation of the model"):
        tables.table("NoSuchOperation")


def test_offline_world_fills_every_table_with_valid_requests():
    """What the suite sends for invalid and absent cases starts from these: each must be a valid request."""
    from ecrconf.resources.world import offline
    world = offline("ecrconf-abc123-gw0", ACCOUNT, "us-east-1")
    for table in tables.tables():
        for request in [table.request, *(table.absent(case) for case in table.not_found)]:
            filled = tables.fill(table.operation, request, world)
            assert schemas.violations("input", table.operation, filled) == [], (table.operation, filled)
