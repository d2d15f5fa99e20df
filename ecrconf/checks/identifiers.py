"""The identifiers of a successful answer: they name what was asked, in ECR's forms.

A check over a successful Exchange and the request it answered, for any operation, with nothing of its
own per operation: the repositories an answer describes are the ones the request named, in the caller's
registry, and their ARN and URI have the forms ECR gives them:

- ``repositoryName`` of the answer, or of a repository, image or other object it describes (one level
  down, in a structure or a list of them), is the request's ``repositoryName``, or one of its
  ``repositoryNames`` (ops R.11, R.12, L.2, I.6; base 5.1);
- ``registryId`` of the answer or of such an object is the registry the request named, or the caller's
  (ops R.1, R.7, R.11; base 5.1);
- ``repositoryArn`` is ``arn:<partition>:ecr:<region>:<registryId>:repository/<repositoryName>`` (ops R.7);
- ``repositoryUri`` is ``<registry host>/<repositoryName>`` (ops R.1): on AWS the host is
  ``<registryId>.dkr.ecr.<region>.<DNS suffix>``; an emulator serves its registry on a host of its own
  (LocalStack: ``localhost.localstack.cloud:4566``), where a client must push, so the host is not judged.

Members that are absent are not judged here (the output schema says what an answer must carry), and
``failures`` lists, which name what the request asked for and did not find, are left to the not-found checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ecrconf.checks import ConformanceFailure
from ecrconf.wire.exchange import Exchange

SKIPPED = frozenset({"failures"})
HOST = r"[A-Za-z0-9.-]+(?::[0-9]{1,5})?"  # a registry host, with its port when it has one


def names_what_was_asked(exchange: Exchange, request: dict, registry: str, region: str) -> None:
    """Raise ConformanceFailure when a successful answer (exchange.body, a dict) names another repository or
    registry than request asked for, or gives a repository ARN or URI in another form.

    registry is the caller's registry id (12 digits), used when the request names none; region the region
    the request was signed for."""
    names = _asked_names(request)
    owner = request.get("registryId") if isinstance(request.get("registryId"), str) else registry
    for where, item in _described(exchange.body):
        name = item.get("repositoryName")
        if names and "repositoryName" in item and name not in names:
            _fail(exchange, f"{where}repositoryName is not the repository asked for", name,
                  " or ".join(sorted(names)))
        registry_id = item.get("registryId", owner)
        if registry_id != owner and (where == "" or "repositoryName" in item):
            _fail(exchange, f"{where}registryId is not the registry asked for", registry_id, owner)
        if not isinstance(name, str):
            continue
        forms = {"repositoryArn": rf"arn:aws(?:-[a-z]+)*:ecr:{re.escape(region)}:{re.escape(str(registry_id))}"
                                  rf":repository/{re.escape(name)}",
                 "repositoryUri": rf"{HOST}/{re.escape(name)}"}
        for member, form in forms.items():
            if member in item and not (isinstance(item[member], str) and re.fullmatch(form, item[member])):
                example = {"repositoryArn": f"arn:aws:ecr:{region}:{registry_id}:repository/{name}",
                           "repositoryUri": f"{registry_id}.dkr.ecr.{region}.amazonaws.com/{name}"}[member]
                _fail(exchange, f"{where}{member} does not have ECR's form for repository {name!r}",
                      item[member], example)


def _asked_names(request: dict) -> set[str]:
    """The repository names a request asks about: its repositoryName, or its repositoryNames."""
    if isinstance(request.get("repositoryName"), str):
        return {request["repositoryName"]}
    listed = request.get("repositoryNames")
    return {name for name in listed if isinstance(name, str)} if isinstance(listed, list) else set()


def _described(body: object) -> Iterator[tuple[str, dict]]:
    """(where, object): the answer itself, then each structure one level down, alone or in a list."""
    if not isinstance(body, dict):
        return
    yield "", body
    for member, value in body.items():
        if member in SKIPPED:
            continue
        if isinstance(value, dict):
            yield f"{member}.", value
        elif isinstance(value, list):
            yield from ((f"{member}[{i}].", item) for i, item in enumerate(value) if isinstance(item, dict))


def _fail(exchange: Exchange, title: str, received: object, expected: str) -> None:
    raise ConformanceFailure(f"{exchange.operation}: {title}", received=repr(received), expected=expected,
                             exchange=exchange)
