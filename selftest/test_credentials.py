"""The run's credentials are the standard AWS chain's: the environment read directly must agree with botocore."""

from __future__ import annotations

import os

import botocore.session
import pytest

from ecrconf.wire.client import Credentials
from ecrconf.run.target import resolve_credentials

ENVIRONMENTS = {
    "keys": {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"},
    "session-token": {"AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
                      "AWS_SESSION_TOKEN": "token"},
    "legacy-token": {"AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
                     "AWS_SECURITY_TOKEN": "legacy"},
    "both-tokens": {"AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
                    "AWS_SECURITY_TOKEN": "legacy", "AWS_SESSION_TOKEN": "token"},
    "empty-token": {"AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
                    "AWS_SECURITY_TOKEN": "", "AWS_SESSION_TOKEN": "token"},
}


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No AWS variable of the caller's, and shared files that hold one profile, "other"."""
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        monkeypatch.delenv(name)
    (tmp_path / "credentials").write_text("[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = s\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return monkeypatch


def _botocore(profile: str | None) -> Credentials:
    frozen = botocore.session.Session(profile=profile).get_credentials().get_frozen_credentials()
    return Credentials(frozen.access_key, frozen.secret_key, frozen.token)


@pytest.mark.parametrize("name", sorted(ENVIRONMENTS))
@pytest.mark.parametrize("profile", [None, "other"])
def test_credentials_are_the_ones_botocore_finds(isolated, name, profile):
    for key, value in ENVIRONMENTS[name].items():
        isolated.setenv(key, value)
    assert resolve_credentials(profile) == _botocore(profile)
