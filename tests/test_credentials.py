"""Credential, region, endpoint and profile resolution (sigkit.credentials.resolve).

Every case runs against a temporary HOME with fixture files written here; expected values come
from those files. Where a rule is AWS CLI behaviour, botocore resolves the same environment and
files too (botocore.session.Session), so the precedence is checked against an independent
implementation rather than against our reading of the documentation.
"""

from __future__ import annotations

import itertools
import json
import os
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import botocore.exceptions  # type: ignore[import-untyped]
import botocore.session  # type: ignore[import-untyped]
import pytest
import typer

import sigkit.cli.app as app_module
from sigkit.cli.config_cmd import config, render_config_json, render_config_text
from sigkit.credentials import (
    EXAMPLE_ACCESS_KEY_ID,
    EXAMPLE_SECRET_ACCESS_KEY,
    FLAGS_SOURCE,
    MAX_FILE_BYTES,
    Resolved,
    mask,
    resolve,
)
from sigkit.errors import InputError, UnsupportedError

# --------------------------------------------------------------------------------------------
# Fixtures and the two resolvers


def write(home: Path, credentials: str | None = None, config_text: str | None = None) -> None:
    aws = home / ".aws"
    aws.mkdir(parents=True, exist_ok=True)
    if credentials is not None:
        (aws / "credentials").write_text(textwrap.dedent(credentials))
    if config_text is not None:
        (aws / "config").write_text(textwrap.dedent(config_text))


def ours(home: Path, env: Mapping[str, str] | None = None, **flags: Any) -> Resolved:
    return resolve(env=dict(env or {}), home=home, **flags)


@pytest.fixture
def botocore_session(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Any]:
    """A factory for botocore sessions that see only the given env and HOME (no instance
    metadata lookups, no stray AWS_* variables from the machine running the tests)."""

    def make(home: Path, env: Mapping[str, str], profile: str | None = None) -> Any:
        for name in list(os.environ):
            if name.startswith("AWS_") or name == "BOTO_CONFIG":
                monkeypatch.delenv(name)
        monkeypatch.setenv("HOME", str(home))
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        monkeypatch.setenv("BOTO_CONFIG", str(home / "no-boto-config"))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return botocore.session.Session(profile=profile)

    yield make


def botocore_credentials(session: Any) -> tuple[str, str, str | None] | None:
    creds = session.get_credentials()
    if creds is None:
        return None
    frozen = creds.get_frozen_credentials()
    return frozen.access_key, frozen.secret_key, frozen.token


def botocore_endpoint(session: Any) -> str | None:
    """The configured S3 endpoint as a botocore client would use it; None for AWS's own."""
    url = session.create_client("s3", region_name="us-east-1").meta.endpoint_url
    return None if url.endswith(".amazonaws.com") else str(url)


def triple(resolved: Resolved) -> tuple[str, str, str | None]:
    c = resolved.credentials
    return c.access_key_id, c.secret_access_key, c.session_token


# --------------------------------------------------------------------------------------------
# Credentials: the precedence matrix, each cell checked against the rule and against botocore

ENV_KEYS = {"AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "env-secret"}
CREDS_KEYS = ("AKIACREDSFILE", "credsfile-secret", "credsfile-token")
CONFIG_KEYS = ("AKIACONFIGFILE", "configfile-secret", "configfile-token")


@pytest.mark.parametrize(
    ("env_keys", "in_creds", "in_config", "selection"),
    list(itertools.product([False, True], [False, True], [False, True], ["none", "env", "flag"])),
)
def test_credentials_precedence_matches_botocore(
    tmp_path: Path,
    botocore_session: Any,
    env_keys: bool,
    in_creds: bool,
    in_config: bool,
    selection: str,
) -> None:
    # The profile is "dev" when named (AWS_PROFILE or --profile), else "default"; it always
    # exists in the config file (with `output` only when it holds no keys).
    name = "default" if selection == "none" else "dev"
    header = "[default]" if name == "default" else f"[profile {name}]"
    creds_text = ""
    if in_creds:
        key, secret, token = CREDS_KEYS
        creds_text = f"[{name}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"
        creds_text += f"aws_session_token = {token}\n"
    config_text = f"{header}\noutput = json\n"
    if in_config:
        key, secret, token = CONFIG_KEYS
        config_text += f"aws_access_key_id = {key}\naws_secret_access_key = {secret}\n"
        config_text += f"aws_session_token = {token}\n"
    write(tmp_path, creds_text, config_text)
    env = dict(ENV_KEYS) if env_keys else {}
    if selection == "env":
        env["AWS_PROFILE"] = name
    profile = name if selection == "flag" else None

    # The rule: --profile skips the environment's keys; AWS_PROFILE does not. Then the
    # credentials file, then the config file.
    layers: list[tuple[bool, tuple[str, str, str | None], str]] = [
        (env_keys and selection != "flag", ("AKIAENV", "env-secret", None), "env"),
        (in_creds, CREDS_KEYS, f"~/.aws/credentials [{name}]"),
        (in_config, CONFIG_KEYS, f"~/.aws/config {header}"),
    ]
    winner = next(((value, source) for present, value, source in layers if present), None)

    session = botocore_session(tmp_path, env, profile)
    if winner is None and selection != "none":
        with pytest.raises(InputError) as info:
            ours(tmp_path, env, profile=profile)
        assert info.value.field == ("--profile" if selection == "flag" else "AWS_PROFILE")
        assert "holds no credentials" in str(info.value)
        assert botocore_credentials(session) is None
        return
    resolved = ours(tmp_path, env, profile=profile)
    if winner is None:
        assert resolved.example
        assert triple(resolved) == (EXAMPLE_ACCESS_KEY_ID, EXAMPLE_SECRET_ACCESS_KEY, None)
        assert botocore_credentials(session) is None
        return
    assert triple(resolved) == winner[0]
    assert resolved.credentials_source.startswith(winner[1])
    assert not resolved.example
    assert botocore_credentials(session) == winner[0]


def test_flags_beat_everything_and_need_both_halves(tmp_path: Path) -> None:
    write(tmp_path, "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = s\n")
    resolved = ours(
        tmp_path, ENV_KEYS, access_key="AKIAFLAG", secret_key="flag-secret", profile="dev"
    )
    assert triple(resolved) == ("AKIAFLAG", "flag-secret", None)
    assert resolved.credentials_source == FLAGS_SOURCE and resolved.from_flags
    assert resolved.profile.value == "dev"  # still the profile for region and endpoint
    with pytest.raises(InputError, match="--secret-key"):
        ours(tmp_path, access_key="AKIAFLAG")
    with pytest.raises(InputError, match="--access-key"):
        ours(tmp_path, secret_key="s")


def test_session_token_flag_replaces_the_sources_token(tmp_path: Path) -> None:
    write(
        tmp_path,
        "[default]\naws_access_key_id = AKIA1\naws_secret_access_key = s\n"
        "aws_session_token = file-token\n",
    )
    plain = ours(tmp_path)
    assert plain.credentials.session_token == "file-token"
    assert plain.session_token_source == "~/.aws/credentials [default]"
    flagged = ours(tmp_path, session_token="flag-token")
    assert flagged.credentials.session_token == "flag-token"
    assert flagged.session_token_source == "--session-token"
    env = {**ENV_KEYS, "AWS_SESSION_TOKEN": "env-token"}
    from_env = ours(tmp_path, env)
    assert from_env.credentials.session_token == "env-token"
    assert from_env.session_token_source == "env AWS_SESSION_TOKEN"


def test_token_comes_from_the_file_holding_the_keys(tmp_path: Path, botocore_session: Any) -> None:
    # Keys in the credentials file, a token only in the config file: botocore's shared
    # credentials provider takes nothing from the config file, so there is no token.
    write(
        tmp_path,
        "[default]\naws_access_key_id = AKIA1\naws_secret_access_key = s1\n",
        "[default]\naws_session_token = config-token\n",
    )
    resolved = ours(tmp_path)
    assert triple(resolved) == ("AKIA1", "s1", None)
    assert botocore_credentials(botocore_session(tmp_path, {})) == ("AKIA1", "s1", None)


def test_legacy_aws_security_token_key(tmp_path: Path, botocore_session: Any) -> None:
    write(
        tmp_path,
        "[default]\naws_access_key_id = AKIA1\naws_secret_access_key = s1\n"
        "aws_security_token = legacy\n",
    )
    assert triple(ours(tmp_path)) == ("AKIA1", "s1", "legacy")
    assert botocore_credentials(botocore_session(tmp_path, {})) == ("AKIA1", "s1", "legacy")


def test_partial_environment_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        ours(tmp_path, {"AWS_ACCESS_KEY_ID": "AKIA1"})
    assert info.value.field == "AWS_SECRET_ACCESS_KEY"
    with pytest.raises(InputError) as info:
        ours(tmp_path, {"AWS_SECRET_ACCESS_KEY": "s"})
    assert info.value.field == "AWS_ACCESS_KEY_ID"


def test_partial_file_keys_name_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "# keys\n[default]\n\naws_access_key_id = AKIA1\n")
    with pytest.raises(InputError) as info:
        ours(tmp_path)
    assert info.value.field == "~/.aws/credentials line 4"
    assert "aws_secret_access_key" in info.value.message


def test_bad_key_from_a_file_names_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "[default]\naws_access_key_id = AKIA/1\naws_secret_access_key = s\n")
    with pytest.raises(InputError) as info:
        ours(tmp_path)
    assert info.value.field == "~/.aws/credentials line 2"


def test_no_credentials_anywhere_falls_back_to_the_example_pair(tmp_path: Path) -> None:
    resolved = ours(tmp_path)
    assert resolved.example
    assert triple(resolved) == (EXAMPLE_ACCESS_KEY_ID, EXAMPLE_SECRET_ACCESS_KEY, None)
    source = resolved.credentials_source
    assert "example credentials" in source
    for tried in (FLAGS_SOURCE, "env AWS_ACCESS_KEY_ID", "~/.aws/credentials (not found)"):
        assert tried in source
    assert resolved.profile.value == "default" and resolved.profile.source == "default"


@pytest.mark.parametrize(
    "dynamic",
    [
        "role_arn = arn:aws:iam::123456789012:role/r\nsource_profile = default",
        "credential_process = /bin/echo",
        "sso_session = corp",
        "web_identity_token_file = /tmp/token",
    ],
)
def test_credentials_sigkit_cannot_obtain_are_refused(tmp_path: Path, dynamic: str) -> None:
    # botocore would use these (STS, a process, SSO) rather than fall back to example keys.
    write(
        tmp_path,
        "[default]\naws_access_key_id = AKIA1\naws_secret_access_key = s\n",
        f"[profile dev]\nregion = eu-west-1\n{dynamic}\n",
    )
    with pytest.raises(UnsupportedError) as info:
        ours(tmp_path, profile="dev")
    assert "~/.aws/config line 3" in str(info.value)
    assert "export-credentials --profile dev" in str(info.value)


def test_static_keys_in_the_credentials_file_win_over_credential_process(tmp_path: Path) -> None:
    # botocore's order: shared credentials file, then credential_process, then the config file.
    write(
        tmp_path,
        "[dev]\naws_access_key_id = AKIA1\naws_secret_access_key = s\n",
        "[profile dev]\ncredential_process = /bin/false\n",
    )
    assert triple(ours(tmp_path, profile="dev")) == ("AKIA1", "s", None)


# --------------------------------------------------------------------------------------------
# Profiles: [name] in credentials, [profile name] in config, and unknown names


def test_config_file_profiles_need_the_profile_prefix(
    tmp_path: Path, botocore_session: Any
) -> None:
    write(
        tmp_path,
        None,
        """\
        [dev]
        region = eu-north-1
        aws_access_key_id = AKIAWRONG
        aws_secret_access_key = s
        [profile prod]
        region = ap-south-1
        aws_access_key_id = AKIAPROD
        aws_secret_access_key = p
        """,
    )
    prod = ours(tmp_path, profile="prod")
    assert triple(prod) == ("AKIAPROD", "p", None)
    assert prod.credentials_source == "~/.aws/config [profile prod]"
    assert prod.region is not None and prod.region.value == "ap-south-1"
    assert botocore_credentials(botocore_session(tmp_path, {}, "prod"))[0] == "AKIAPROD"
    with pytest.raises(InputError) as info:
        ours(tmp_path, profile="dev")
    message = str(info.value)
    assert message.startswith("--profile: profile 'dev' not found")
    assert "~/.aws/config line 1 names it [dev]" in message and "[profile dev]" in message
    with pytest.raises(botocore.exceptions.ProfileNotFound):
        botocore_session(tmp_path, {}, "dev").get_credentials()


def test_credentials_file_profiles_have_no_prefix(tmp_path: Path, botocore_session: Any) -> None:
    write(tmp_path, "[profile dev]\naws_access_key_id = AKIA1\naws_secret_access_key = s\n")
    with pytest.raises(InputError) as info:
        ours(tmp_path, {"AWS_PROFILE": "dev"})
    assert info.value.field == "AWS_PROFILE"
    assert "~/.aws/credentials line 1 names it [profile dev]" in str(info.value)
    with pytest.raises(botocore.exceptions.ProfileNotFound):
        botocore_session(tmp_path, {"AWS_PROFILE": "dev"}).get_credentials()


def test_default_section_may_be_profile_default_in_config(tmp_path: Path) -> None:
    write(tmp_path, None, "[profile default]\nregion = sa-east-1\n")
    resolved = ours(tmp_path)
    assert resolved.region is not None and resolved.region.value == "sa-east-1"
    assert resolved.region.source == "~/.aws/config [profile default]"


@pytest.mark.parametrize(
    ("env", "profile", "field"),
    [({"AWS_PROFILE": "nope"}, None, "AWS_PROFILE"), ({}, "nope", "--profile")],
)
def test_unknown_profile_is_an_error_listing_known_ones(
    tmp_path: Path,
    botocore_session: Any,
    env: dict[str, str],
    profile: str | None,
    field: str,
) -> None:
    write(
        tmp_path,
        "[default]\naws_access_key_id = AKIA1\naws_secret_access_key = s\n",
        "[profile prod]\nregion = eu-west-1\n",
    )
    with pytest.raises(InputError) as info:
        ours(tmp_path, env, profile=profile)
    assert info.value.field == field
    assert "'nope' not found in ~/.aws/credentials or ~/.aws/config" in info.value.message
    assert "(profiles: default, prod)" in info.value.message
    with pytest.raises(botocore.exceptions.ProfileNotFound):
        session = botocore_session(tmp_path, env, profile)
        session.get_credentials()
        session.get_scoped_config()


def test_named_default_profile_must_exist_too(tmp_path: Path, botocore_session: Any) -> None:
    with pytest.raises(InputError, match="no credentials or config file found"):
        ours(tmp_path, profile="default")
    with pytest.raises(botocore.exceptions.ProfileNotFound):
        botocore_session(tmp_path, {}, "default").get_scoped_config()


def test_empty_aws_profile_means_default(tmp_path: Path) -> None:
    assert ours(tmp_path, {"AWS_PROFILE": ""}).profile.value == "default"
    with pytest.raises(InputError, match="--profile"):
        ours(tmp_path, profile="")


def test_profile_that_holds_no_keys_says_what_was_tried(tmp_path: Path) -> None:
    write(tmp_path, "[other]\naws_access_key_id = A\naws_secret_access_key = s\n")
    write(tmp_path, None, "[profile dev]\nregion = eu-west-1\n")
    with pytest.raises(InputError) as info:
        ours(tmp_path, ENV_KEYS, profile="dev")
    message = info.value.message
    assert "holds no credentials" in message
    for tried in (
        FLAGS_SOURCE,
        "env AWS_ACCESS_KEY_ID (skipped: --profile given)",
        "~/.aws/credentials (no [dev])",
        "~/.aws/config [profile dev]",
    ):
        assert tried in message


# --------------------------------------------------------------------------------------------
# Region


@pytest.mark.parametrize(
    ("default_region", "in_creds", "in_config"),
    list(itertools.product([False, True], repeat=3)),
)
def test_region_precedence_matches_botocore(
    tmp_path: Path,
    botocore_session: Any,
    default_region: bool,
    in_creds: bool,
    in_config: bool,
) -> None:
    creds_text = "[default]\naws_access_key_id = A\naws_secret_access_key = s\n"
    if in_creds:
        # botocore merges the credentials file's profile over the config file's, key by key.
        creds_text += "region = us-east-2\n"
    config_text = "[default]\n" + ("region = eu-west-3\n" if in_config else "")
    write(tmp_path, creds_text, config_text)
    env = {"AWS_DEFAULT_REGION": "ap-northeast-1"} if default_region else {}
    layers = [
        (default_region, "ap-northeast-1", "env AWS_DEFAULT_REGION"),
        (in_creds, "us-east-2", "~/.aws/credentials [default]"),
        (in_config, "eu-west-3", "~/.aws/config [default]"),
    ]
    winner = next(((value, source) for present, value, source in layers if present), None)
    resolved = ours(tmp_path, env)
    got = (resolved.region.value, resolved.region.source) if resolved.region else None
    assert got == winner
    expected = winner[0] if winner else None
    assert botocore_session(tmp_path, env).get_config_variable("region") == expected


def test_region_flag_and_aws_region_come_first(tmp_path: Path) -> None:
    # AWS_REGION over AWS_DEFAULT_REGION is the AWS CLI v2 / SDK rule ("Environment variables to
    # configure the AWS CLI"); botocore 1.43 itself reads only AWS_DEFAULT_REGION, so this one
    # is checked against the documentation, not botocore.
    write(tmp_path, None, "[default]\nregion = eu-west-3\n")
    env = {"AWS_REGION": "us-west-1", "AWS_DEFAULT_REGION": "ap-northeast-1"}
    resolved = ours(tmp_path, env)
    assert resolved.region is not None
    assert (resolved.region.value, resolved.region.source) == ("us-west-1", "env AWS_REGION")
    flagged = ours(tmp_path, env, region="ca-central-1")
    assert flagged.region is not None
    assert (flagged.region.value, flagged.region.source) == ("ca-central-1", "--region")
    assert ours(tmp_path, {"AWS_REGION": ""}).region == ours(tmp_path).region  # empty = unset


def test_bad_region_names_its_source(tmp_path: Path) -> None:
    write(tmp_path, None, "[default]\n\nregion = eu west 1\n")
    with pytest.raises(InputError) as info:
        ours(tmp_path)
    assert info.value.field == "~/.aws/config line 3"
    with pytest.raises(InputError) as info:
        ours(tmp_path, {"AWS_REGION": "us/east"})
    assert info.value.field == "AWS_REGION"


# --------------------------------------------------------------------------------------------
# Endpoint URL

ENDPOINT_LAYERS = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "services", "endpoint_url")


@pytest.mark.parametrize(
    "present", list(itertools.product([False, True], repeat=len(ENDPOINT_LAYERS)))
)
def test_endpoint_precedence_matches_botocore(
    tmp_path: Path, botocore_session: Any, present: tuple[bool, ...]
) -> None:
    env_s3, env_global, services, profile_level = present
    config_text = "[profile dev]\n"
    if services:
        config_text += "services = local\n"
    if profile_level:
        config_text += "endpoint_url = http://profile.example:9000\n"
    config_text += "[services local]\ns3 =\n  endpoint_url = http://services.example:9000\n"
    config_text += "sqs =\n  endpoint_url = http://not-s3.example\n"
    write(tmp_path, "[dev]\naws_access_key_id = A\naws_secret_access_key = s\n", config_text)
    env = {"AWS_PROFILE": "dev"}
    if env_s3:
        env["AWS_ENDPOINT_URL_S3"] = "http://env-s3.example:9000"
    if env_global:
        env["AWS_ENDPOINT_URL"] = "https://env-global.example"
    layers = [
        (env_s3, "http://env-s3.example:9000", "env AWS_ENDPOINT_URL_S3"),
        (env_global, "https://env-global.example", "env AWS_ENDPOINT_URL"),
        (services, "http://services.example:9000", "~/.aws/config [services local] s3"),
        (profile_level, "http://profile.example:9000", "~/.aws/config [profile dev]"),
    ]
    winner = next(((value, source) for on, value, source in layers if on), None)
    resolved = ours(tmp_path, env)
    got = (
        (resolved.endpoint_url.value, resolved.endpoint_url.source)
        if resolved.endpoint_url
        else None
    )
    assert got == winner
    assert botocore_endpoint(botocore_session(tmp_path, env)) == (winner[0] if winner else None)
    flagged = ours(tmp_path, env, endpoint_url="http://flag.example")
    assert flagged.endpoint_url is not None
    assert flagged.endpoint_url.value == "http://flag.example"
    assert flagged.endpoint_url.source == "--endpoint-url"


@pytest.mark.parametrize(
    "switch",
    [{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, "ignore_configured_endpoint_urls = true"],
)
def test_ignore_configured_endpoint_urls(
    tmp_path: Path, botocore_session: Any, switch: dict[str, str] | str
) -> None:
    extra = switch if isinstance(switch, str) else ""
    write(tmp_path, None, f"[default]\nendpoint_url = http://profile.example\n{extra}\n")
    env = {"AWS_ENDPOINT_URL": "http://env.example"}
    if isinstance(switch, dict):
        env.update(switch)
    assert ours(tmp_path, env).endpoint_url is None
    assert botocore_endpoint(botocore_session(tmp_path, env)) is None
    flagged = ours(tmp_path, env, endpoint_url="http://flag.example")
    assert flagged.endpoint_url is not None and flagged.endpoint_url.value == "http://flag.example"


@pytest.mark.parametrize(
    ("env", "flag", "config_text", "field"),
    [
        ({}, "localhost:9000", None, "--endpoint-url"),
        ({"AWS_ENDPOINT_URL": "localhost:9000"}, None, None, "AWS_ENDPOINT_URL"),
        ({"AWS_ENDPOINT_URL_S3": "minio.local"}, None, None, "AWS_ENDPOINT_URL_S3"),
        (
            {},
            None,
            "[default]\nregion = x\nendpoint_url = 127.0.0.1:9000\n",
            "~/.aws/config line 3",
        ),
        (
            {},
            None,
            "[default]\nservices = s\n[services s]\ns3 =\n  endpoint_url = h:1\n",
            "~/.aws/config line 4",
        ),
    ],
)
def test_endpoint_without_scheme_is_refused(
    tmp_path: Path,
    botocore_session: Any,
    env: dict[str, str],
    flag: str | None,
    config_text: str | None,
    field: str,
) -> None:
    write(tmp_path, None, config_text)
    with pytest.raises(InputError) as info:
        ours(tmp_path, env, endpoint_url=flag)
    assert info.value.field == field
    assert "has no scheme; write http://" in info.value.message
    session = botocore_session(tmp_path, env)
    with pytest.raises(ValueError, match="Invalid endpoint"):
        session.create_client("s3", region_name="us-east-1", endpoint_url=flag)


def test_other_endpoint_mistakes(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="scheme must be http or https"):
        ours(tmp_path, endpoint_url="ftp://host")
    with pytest.raises(InputError, match="names no host"):
        ours(tmp_path, endpoint_url="http://")
    write(tmp_path, None, "[default]\nservices = missing\n")
    with pytest.raises(InputError) as info:
        ours(tmp_path)
    assert info.value.field == "~/.aws/config line 2"
    assert "no [services missing]" in info.value.message


def test_services_block_must_be_key_value_lines(tmp_path: Path) -> None:
    write(tmp_path, None, "[default]\nservices = s\n[services s]\ns3 =\n  " + "x" * 200 + "\n")
    with pytest.raises(InputError) as info:
        ours(tmp_path)
    assert info.value.field == "~/.aws/config line 4"
    assert "is not 'key = value'" in info.value.message
    assert len(str(info.value)) < 160  # the offending line is clipped


def test_endpoint_is_skipped_when_no_service_wants_one(tmp_path: Path) -> None:
    # `sign` and `chunked` take the whole URL; a broken AWS_ENDPOINT_URL must not stop them.
    assert ours(tmp_path, {"AWS_ENDPOINT_URL": "localhost"}, service=None).endpoint_url is None


# --------------------------------------------------------------------------------------------
# The files: where they are, missing ones, malformed ones


def test_file_locations_from_the_environment(tmp_path: Path, botocore_session: Any) -> None:
    home = tmp_path / "home"
    elsewhere = tmp_path / "elsewhere"
    write(home, "[default]\naws_access_key_id = AKIAHOME\naws_secret_access_key = s\n")
    elsewhere.mkdir()
    (elsewhere / "creds").write_text(
        "[default]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = o\n"
    )
    (home / "cfg").write_text("[default]\nregion = eu-south-1\n")
    env = {
        "AWS_SHARED_CREDENTIALS_FILE": str(elsewhere / "creds"),
        "AWS_CONFIG_FILE": "~/cfg",  # ~ is the given home, as botocore expands it
    }
    resolved = ours(home, env)
    assert triple(resolved) == ("AKIAOTHER", "o", None)
    assert resolved.credentials_source == f"{elsewhere / 'creds'} [default]"
    assert resolved.region is not None and resolved.region.source == "~/cfg [default]"
    assert resolved.config_file is not None and resolved.config_file.source == "env AWS_CONFIG_FILE"
    session = botocore_session(home, env)
    assert botocore_credentials(session) == ("AKIAOTHER", "o", None)
    assert session.get_config_variable("region") == "eu-south-1"
    with_var = ours(home, {"AWS_CONFIG_FILE": "$DIR/../home/cfg", "DIR": str(elsewhere)})
    assert with_var.region is not None and with_var.region.value == "eu-south-1"


def test_empty_file_variable_reads_no_file(tmp_path: Path, botocore_session: Any) -> None:
    write(tmp_path, "[default]\naws_access_key_id = AKIA1\naws_secret_access_key = s\n")
    env = {"AWS_SHARED_CREDENTIALS_FILE": ""}
    assert ours(tmp_path, env).example
    assert botocore_credentials(botocore_session(tmp_path, env)) is None


def test_no_home_reads_only_named_files(tmp_path: Path) -> None:
    (tmp_path / "c").write_text("[default]\naws_access_key_id = AKIA1\naws_secret_access_key = s\n")
    resolved = resolve(env={"AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "c")}, home=None)
    assert resolved.credentials.access_key_id == "AKIA1"
    assert resolved.config_file is None
    assert resolve(env={}, home=None).example


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("aws_access_key_id = A\n[default]\n", 1, "before any [section]"),
        ("[default]\nregion = x\nthis is not a setting\n", 3, "'this is not a setting' is n"),
        ("[default]\n[other]\n\n[default]\n", 4, "[default] given twice"),
        ("[default]\nregion = a\n; comment\nRegion = b\n", 4, "'region' given twice"),
        ("[default]\nregion = a\n", 2, "not UTF-8"),  # bytes replaced below
    ],
)
def test_malformed_file_names_file_and_line(
    tmp_path: Path, botocore_session: Any, text: str, line: int, words: str
) -> None:
    write(tmp_path, None, None)
    path = tmp_path / ".aws" / "config"
    data = text.encode()
    if words == "not UTF-8":
        data = data.replace(b"= a", b"= \xff")
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        ours(tmp_path)
    assert info.value.field == f"~/.aws/config line {line}"
    assert words in info.value.message
    assert "\n" not in str(info.value)
    with pytest.raises(botocore.exceptions.ConfigParseError):
        botocore_session(tmp_path, {}).get_scoped_config()


def test_unreadable_and_oversized_files(tmp_path: Path) -> None:
    write(tmp_path, None, None)
    (tmp_path / ".aws" / "credentials").mkdir()
    with pytest.raises(InputError) as info:
        ours(tmp_path)
    assert info.value.field == "~/.aws/credentials"
    (tmp_path / ".aws" / "credentials").rmdir()
    (tmp_path / ".aws" / "config").write_bytes(b"[default]\n" + b"#" * MAX_FILE_BYTES)
    with pytest.raises(InputError, match="larger than") as info:
        ours(tmp_path)
    assert info.value.field == "~/.aws/config"
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        ours(tmp_path, {"AWS_CONFIG_FILE": str(fifo)})  # and does not hang
    if os.geteuid() != 0:  # root reads anything
        (tmp_path / ".aws" / "config").write_text("[default]\n")
        (tmp_path / ".aws" / "config").chmod(0)
        with pytest.raises(InputError, match="cannot read"):
            ours(tmp_path)


def test_byte_order_mark_and_interpolation_characters(tmp_path: Path) -> None:
    # Windows editors write a BOM; '%' in a secret must be taken literally.
    (tmp_path / "c").write_bytes(
        "\ufeff[default]\naws_access_key_id = AKIA1\naws_secret_access_key = a%b%(c)s\n".encode()
    )
    resolved = ours(tmp_path, {"AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "c")})
    assert resolved.credentials.secret_access_key == "a%b%(c)s"


# --------------------------------------------------------------------------------------------
# `sigkit config`

FILES_CREDS = """\
[default]
aws_access_key_id = AKIADEFAULT
aws_secret_access_key = default-secret-0123456789

[dev]
aws_access_key_id = AKIADEV
aws_secret_access_key = dev-secret-0123456789
aws_session_token = dev-session-token-0123456789
"""
FILES_CONFIG = """\
[default]
region = us-west-2

[profile dev]
region = eu-central-1
endpoint_url = http://localhost:9000
"""


@pytest.fixture
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real process environment pointed at a temp HOME holding the fixture files, with no
    AWS_* variables from the machine running the tests."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("NO_COLOR", raising=False)
    write(tmp_path, FILES_CREDS, FILES_CONFIG)
    return tmp_path


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    """sigkit.cli.app.main with `config` available: the real app once the lead has registered
    it there, until then a stand-in app carrying it and the signing commands."""
    if "config" not in getattr(app_module, "COMMANDS", {}):
        from sigkit.cli import chunked_cmd, post_policy_cmd, sign_cmd

        local = typer.Typer(name="sigkit", add_completion=False, pretty_exceptions_enable=False)
        local.command("config")(config)
        local.command("sign")(sign_cmd.sign)
        local.command("post-policy")(post_policy_cmd.post_policy)
        local.command("chunked")(chunked_cmd.chunked)
        monkeypatch.setattr(app_module, "app", local)

    def invoke(*argv: str) -> tuple[int, str, str]:
        code = app_module.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    yield invoke


def test_config_text_shows_each_value_and_source(cli_home: Path, run: Any) -> None:
    code, out, err = run("config", "--profile", "dev")
    assert code == 0 and err == ""
    table = {line.split()[0]: line.split(None, 2)[1:] for line in out.splitlines()}
    assert table["profile"] == ["dev", "--profile"]
    assert table["access_key_id"] == ["AKIADEV", "~/.aws/credentials [dev]"]
    assert table["secret_access_key"] == [mask("dev-secret-0123456789"), "~/.aws/credentials [dev]"]
    assert table["session_token"] == [
        mask("dev-session-token-0123456789"),
        "~/.aws/credentials [dev]",
    ]
    assert table["region"] == ["eu-central-1", "~/.aws/config [profile dev]"]
    assert table["endpoint_url"] == ["http://localhost:9000", "~/.aws/config [profile dev]"]
    assert table["credentials_file"] == ["~/.aws/credentials", "default"]
    assert "dev-secret-0123456789" not in out and "dev-session-token" not in out


def test_config_json_and_show_secrets(
    cli_home: Path, run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "ap-southeast-2")
    code, out, _ = run("config", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["profile"] == {"value": "default", "source": "default"}
    assert doc["access_key_id"] == {
        "value": "AKIADEFAULT",
        "source": "~/.aws/credentials [default]",
    }
    assert doc["secret_access_key"]["value"] == mask("default-secret-0123456789")
    assert doc["session_token"] == {"value": None, "source": None}
    assert doc["region"] == {"value": "ap-southeast-2", "source": "env AWS_REGION"}
    assert doc["endpoint_url"] == {"value": None, "source": None}
    assert doc["example_credentials"] is False and doc["secrets_masked"] is True
    code, out, _ = run("config", "--json", "--show-secrets", "--endpoint-url", "https://e.example")
    doc = json.loads(out)
    assert doc["secret_access_key"]["value"] == "default-secret-0123456789"
    assert doc["endpoint_url"] == {"value": "https://e.example", "source": "--endpoint-url"}
    assert doc["secrets_masked"] is False


def test_config_with_nothing_configured_says_example(
    cli_home: Path, run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(cli_home / "empty"))
    code, out, _ = run("config", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["example_credentials"] is True
    assert doc["access_key_id"]["value"] == EXAMPLE_ACCESS_KEY_ID
    assert doc["credentials_file"]["source"] == "default, not found"


@pytest.mark.parametrize(
    ("argv", "env", "needle"),
    [
        (["config", "--profile", "nope"], {}, "--profile: profile 'nope' not found"),
        (["config"], {"AWS_PROFILE": "nope"}, "AWS_PROFILE: profile 'nope' not found"),
        (["config", "--endpoint-url", "localhost:9000"], {}, "--endpoint-url: 'localhost:9000'"),
        (["config"], {"AWS_ENDPOINT_URL_S3": "h:1"}, "AWS_ENDPOINT_URL_S3: 'h:1' has no scheme"),
        (["config"], {"AWS_CONFIG_FILE": "~/bad"}, "~/bad line 1: "),
    ],
)
def test_config_errors_are_one_line_exit_2(
    cli_home: Path,
    run: Any,
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    env: dict[str, str],
    needle: str,
) -> None:
    (cli_home / "bad").write_text("region = x\n")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code, out, err = run(*argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"sigkit: error: {needle}"), err


def test_render_functions_match_the_command(cli_home: Path) -> None:
    resolved = resolve(env={"HOME": str(cli_home)}, home=cli_home, profile="dev")
    assert "AKIADEV" in render_config_text(resolved)
    assert json.loads(render_config_json(resolved, show_secrets=True))["session_token"] == {
        "value": "dev-session-token-0123456789",
        "source": "~/.aws/credentials [dev]",
    }


# --------------------------------------------------------------------------------------------
# The signing commands use what was resolved

DATE = ["--date", "20240101T000000Z"]


def test_sign_uses_the_profile_region_when_the_host_names_none(cli_home: Path, run: Any) -> None:
    code, out, err = run(
        "sign", "https://api.internal/x", "--service", "svc", "--profile", "dev", *DATE
    )
    assert code == 0, err
    assert "20240101/eu-central-1/svc/aws4_request" in out
    assert "Credential=AKIADEV/" in out
    assert "region 'eu-central-1' from ~/.aws/config [profile dev] (the host names none)" in err
    assert "credentials: ~/.aws/credentials [dev]" in err


def test_sign_region_order_flag_host_then_configured(
    cli_home: Path, run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-east-1")
    code, out, _ = run("sign", "https://api.internal/x", "--service", "svc", *DATE)
    assert code == 0 and "/ap-east-1/svc/" in out  # env beats the default profile's us-west-2
    code, out, _ = run("sign", "https://b.s3.eu-west-1.amazonaws.com/k", *DATE)
    assert code == 0 and "/eu-west-1/s3/" in out  # the host names one
    code, out, _ = run("sign", "https://b.s3.eu-west-1.amazonaws.com/k", "--region", "r1", *DATE)
    assert code == 0 and "/r1/s3/" in out


def test_sign_example_ignores_the_shared_files(cli_home: Path, run: Any) -> None:
    code, out, err = run("sign", "--example")
    assert code == 0
    assert "Credential=AKIAIOSFODNN7EXAMPLE/" in out
    assert "example credentials" in err


def test_sign_with_unknown_profile_is_one_line(cli_home: Path, run: Any) -> None:
    code, out, err = run("sign", "https://b.s3.amazonaws.com/k", "--profile", "nope")
    assert code == 2 and out == ""
    assert err.startswith("sigkit: error: --profile: profile 'nope' not found")
    assert err.count("\n") == 1


def test_chunked_uses_the_profile(cli_home: Path, run: Any) -> None:
    body = cli_home / "body.bin"
    body.write_bytes(b"x" * 10)
    code, out, err = run(
        "chunked",
        "https://store.internal/b/k",
        "--service",
        "s3",
        "--data-file",
        str(body),
        "--profile",
        "dev",
        *DATE,
    )
    assert code == 0, err
    assert "20240101/eu-central-1/s3/aws4_request" in out and "AKIADEV/" in out


def test_post_policy_endpoint_and_region_from_the_environment(
    cli_home: Path, run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:7480")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://ignored.example")
    code, out, err = run("post-policy", "s3://bucket/k", "--profile", "dev", *DATE)
    assert code == 0, err
    assert "http://127.0.0.1:7480/bucket" in out
    assert "20240101/eu-central-1/s3/aws4_request" in out
    assert "endpoint http://127.0.0.1:7480 from env AWS_ENDPOINT_URL_S3" in err
    assert "region eu-central-1 from ~/.aws/config [profile dev]" in err
    code, out, err = run("post-policy", "s3://bucket/k", "--endpoint-url", "localhost:9", *DATE)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("sigkit: error: --endpoint-url: 'localhost:9' has no scheme")


def test_post_policy_defaults_to_us_east_1(
    cli_home: Path, run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(cli_home / "empty"))
    code, out, _ = run("post-policy", "s3://bucket/k", *DATE)
    assert code == 0
    assert "https://bucket.s3.us-east-1.amazonaws.com/" in out
    assert "20240101/us-east-1/s3/aws4_request" in out


@pytest.mark.parametrize(
    ("env", "flags", "where"),
    [
        (
            {"AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t\x01"},
            {},
            "AWS_SESSION_TOKEN",
        ),
        ({}, {"access_key": "AK", "secret_key": "s", "session_token": "a\tb"}, "--session-token"),
    ],
)
def test_a_bad_session_token_is_named_where_it_came_from(
    tmp_path: Path, env: dict[str, str], flags: dict[str, str], where: str
) -> None:
    with pytest.raises(InputError) as caught:
        resolve(env=env, home=tmp_path, **flags)
    assert caught.value.field == where
    assert "control character" in caught.value.message


# --------------------------------------------------------------------------------------------
# A secret alone; the region every command reads


def test_a_secret_alone_takes_the_access_key_from_the_environment(tmp_path: Path) -> None:
    env = {"AWS_ACCESS_KEY_ID": "AKIAENVKEY", "AWS_SECRET_ACCESS_KEY": "env-secret"}
    resolved = ours(tmp_path, env, secret_key="flag-secret")
    assert triple(resolved) == ("AKIAENVKEY", "flag-secret", None)
    assert resolved.access_key_known and not resolved.from_flags
    assert resolved.credentials_source == "--secret-key with env AWS_ACCESS_KEY_ID"
    with pytest.raises(InputError) as info:  # --profile: the environment's keys are not used
        write(tmp_path, "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = s\n")
        ours(tmp_path, env, secret_key="flag-secret", profile="dev")
    assert info.value.field == "--access-key"
    assert "--profile given" in info.value.message


def test_a_secret_alone_without_a_key_anywhere(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        ours(tmp_path, secret_key="s3cret")
    assert (info.value.field, info.value.message) == (
        "--access-key",
        "missing (given --secret-key without it; AWS_ACCESS_KEY_ID is not set)",
    )
    # explain, diff and verify: the source names the key, so the secret alone is enough
    resolved = ours(tmp_path, secret_key="s3cret", access_key_from_source=True)
    assert not resolved.access_key_known and not resolved.example
    assert (
        resolved.for_access_key("AKIAFROMLOG")
        == ours(tmp_path, access_key="AKIAFROMLOG", secret_key="s3cret").credentials
    )
    with pytest.raises(InputError, match="the source names no access key"):
        resolved.for_access_key(None)
    known = ours(tmp_path, access_key="AKIAGIVEN", secret_key="s", access_key_from_source=True)
    assert known.for_access_key("AKIAOTHER").access_key_id == "AKIAGIVEN"  # the flag wins
    token = ours(tmp_path, secret_key="s", session_token="tok", access_key_from_source=True)
    assert token.for_access_key("ASIAKEY").session_token == "tok"


def test_configured_region_is_the_resolved_region(tmp_path: Path) -> None:
    from sigkit.cli.common import configured_region

    creds = "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = s\n"
    write(tmp_path, creds, "[default]\nregion = eu-west-3\n[profile dev]\nregion = sa-east-1\n")
    cases: list[tuple[dict[str, str], dict[str, Any]]] = [
        ({}, {}),
        ({"AWS_DEFAULT_REGION": "ap-northeast-1"}, {}),
        ({"AWS_REGION": "us-west-1", "AWS_DEFAULT_REGION": "ap-northeast-1"}, {}),
        ({"AWS_REGION": "us-west-1"}, {"region": "ca-central-1"}),
        ({}, {"profile": "dev"}),
        ({"HOME": "/nonexistent"}, {}),
    ]
    for env, flags in cases:
        full = {"HOME": str(tmp_path), **env}
        got = configured_region(flags.get("region"), full, profile=flags.get("profile"))
        home = Path(full["HOME"])
        assert got == resolve(env=full, home=home, **flags).region, (env, flags)
    assert configured_region(None, {"HOME": str(tmp_path)}, read_files=False) is None


def test_signing_scope_the_host_beats_the_environment() -> None:
    from sigkit.cli.common import signing_scope
    from sigkit.credentials import Sourced

    env_region = Sourced("us-east-1", "env AWS_DEFAULT_REGION")
    notes: list[str] = []
    host = "b.s3.eu-west-1.amazonaws.com"
    assert signing_scope(host, None, None, notes, env_region) == ("eu-west-1", "s3")
    assert notes == [
        "region 'eu-west-1' and service 's3' read from the host name (--region/--service to "
        "change; env AWS_DEFAULT_REGION says 'us-east-1')"
    ]
    notes.clear()
    assert signing_scope(host, "r1", None, notes, env_region) == ("r1", "s3")
    assert notes == ["service 's3' read from the host name (--region/--service to change)"]
    notes.clear()
    assert signing_scope("127.0.0.1:9000", None, "s3", notes, env_region) == ("us-east-1", "s3")
    assert notes == ["region 'us-east-1' from env AWS_DEFAULT_REGION (the host names none)"]
    with pytest.raises(InputError) as info:
        signing_scope("127.0.0.1:9000", None, "s3", [], None)
    assert info.value.field == "--region"


def test_vectors_new_takes_the_region_from_the_environment(
    cli_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    case = cli_home / "case"
    code = app_module.main(
        ["vectors", "new", str(case), "http://127.0.0.1:9000/b/k", "--service", "s3", *DATE]
    )
    assert code == 0, capsys.readouterr().err
    assert json.loads((case / "context.json").read_text())["region"] == "ap-south-1"
    assert "20240101/ap-south-1/s3/aws4_request" in (case / "header-string-to-sign.txt").read_text()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["presign", "s3://my-bucket/k"], "https://my-bucket.s3.ap-south-1.amazonaws.com/k?"),
        (["presign", "http://127.0.0.1:9000/b/k"], "%2Fap-south-1%2Fs3%2Faws4_request"),
        (["curl", "ls", "s3://my-bucket", "--style", "headers"], "/ap-south-1/s3/aws4_request"),
        (["sign", "http://127.0.0.1:9000/b/k", "--service", "s3"], "/ap-south-1/s3/aws4_request"),
        (["post-policy", "s3://my-bucket/k"], "/ap-south-1/s3/aws4_request"),
    ],
)
def test_signing_commands_take_the_region_from_the_environment(
    cli_home: Path, run: Any, monkeypatch: pytest.MonkeyPatch, argv: list[str], expected: str
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")  # over the profile's us-west-2
    code, out, err = run(*argv, *DATE)
    assert code == 0, err
    assert expected in out


def test_dev_null_as_a_shared_file_is_no_file_as_for_botocore(
    tmp_path: Path, botocore_session: Any
) -> None:
    """AWS_CONFIG_FILE=/dev/null (and the credentials file) is how users make the AWS tools
    ignore their shared files: botocore reads it as empty, and so does sigkit."""
    write(
        tmp_path,
        "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = file-secret\n",
        "[default]\nregion = eu-west-3\n",
    )
    env = {
        **ENV_KEYS,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    resolved = ours(tmp_path, env)
    session = botocore_session(tmp_path, env)
    assert triple(resolved)[:2] == botocore_credentials(session)[:2] == ("AKIAENV", "env-secret")
    assert resolved.region is None and session.get_config_variable("region") is None
