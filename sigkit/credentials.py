"""Credentials as the signers take them, and their resolution the way AWS tools do it.

The signers only receive a `Credentials` value. `resolve` finds one (plus region, endpoint URL
and profile) from flags, environment variables and the shared credentials/config files, and
records where each value came from so that `sigkit config` and the commands can say so. It
takes the environment and the home directory as arguments, so it is testable without touching
the real ones; the CLI passes `os.environ` and the user's home.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sigkit.errors import InputError, UnsupportedError

# The example key pair published throughout the AWS documentation (not a real account).
EXAMPLE_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
EXAMPLE_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DEFAULT_SECTION = "DEFAULT"  # configparser.DEFAULTSECT


def mask(secret: str) -> str:
    """Enough of a secret to recognise it, never enough to use it."""
    if len(secret) <= 8:
        return "*" * len(secret)
    return f"{secret[:4]}{'*' * 8}{secret[-2:]}"


@dataclass(frozen=True, slots=True)
class Credentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for name, value in (
            ("access key", self.access_key_id),
            ("secret key", self.secret_access_key),
            ("session token", self.session_token or ""),
        ):
            if not isinstance(value, str):
                raise InputError(name, "must be text")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise InputError(name, "holds bytes that are not UTF-8") from None
        if not self.access_key_id:
            raise InputError("access key", "empty access key id")
        if not self.secret_access_key:
            raise InputError("secret key", "empty secret access key")
        for name, value in (
            ("access key", self.access_key_id),
            ("session token", self.session_token or ""),
        ):
            bad = _CONTROL.search(value)
            if bad:  # both go into headers and URLs as they are: signers need not re-check
                raise InputError(name, f"contains the control character {bad.group()!r}")
        if "/" in self.access_key_id or "," in self.access_key_id or " " in self.access_key_id:
            raise InputError("access key", f"{self.access_key_id!r} contains '/', ',' or a space")
        if self.session_token == "":
            raise InputError("session token", "empty session token; leave it out instead")


# --------------------------------------------------------------------------------------------
# Resolution

FLAGS_SOURCE = "--access-key/--secret-key"
EXAMPLE_SOURCE = "the AWS documentation example credentials"
# The access key of credentials resolved from a secret alone (see Resolved.access_key_known);
# not a valid AWS key id (those are upper-case letters and digits), so never mistaken for one.
UNKNOWN_ACCESS_KEY = "unknown-access-key"
SECRET_FLAG_SOURCE = "--secret-key"
KEY_FROM_ENV_SOURCE = "--secret-key with env AWS_ACCESS_KEY_ID"
# Shared files are a few hundred bytes; a bound keeps a wrong path (a log, a device) harmless.
MAX_FILE_BYTES = 1 << 20

# Profile keys whose credentials come from somewhere sigkit does not go (STS, SSO, a process).
# Listed in botocore's provider order: role, web identity and SSO win over static keys in the
# credentials file; login and credential_process only over static keys in the config file.
_BEFORE_STATIC = ("role_arn", "web_identity_token_file", "sso_session", "sso_start_url")
_AFTER_STATIC = ("login_session", "credential_process")
_TOKEN_KEYS = ("aws_session_token", "aws_security_token")
_REGION = re.compile(r"[A-Za-z0-9._-]+\Z")
_SECTION = re.compile(r"\[(?P<header>.+)\]")  # configparser's own, matched on the stripped line
_OPTION = re.compile(r"(?P<option>.*?)\s*(?:=|:)")


@dataclass(frozen=True, slots=True)
class Sourced:
    """A resolved value and where it came from, e.g. ``("eu-west-1", "env AWS_REGION")``."""

    value: str
    source: str


@dataclass(frozen=True, slots=True)
class SharedFile:
    """Which shared file was looked at: its path as shown, why that path, and whether it exists."""

    path: str
    source: str
    found: bool


@dataclass(frozen=True, slots=True)
class Resolved:
    """Everything `resolve` settled on, each value with its source, for commands to use and
    `sigkit config` to show."""

    credentials: Credentials
    credentials_source: str
    session_token_source: str | None
    profile: Sourced
    region: Sourced | None
    endpoint_url: Sourced | None
    credentials_file: SharedFile | None
    config_file: SharedFile | None
    example: bool  # the credentials are the documentation pair: signatures are only examples
    # False when only the secret was given (--secret-key, no --access-key, no AWS_ACCESS_KEY_ID)
    # and the caller accepts that: the request or log names the key (explain, diff, verify).
    # `credentials` then holds UNKNOWN_ACCESS_KEY; `for_access_key` fills in the real one.
    access_key_known: bool = True

    @property
    def from_flags(self) -> bool:
        return self.credentials_source == FLAGS_SOURCE

    def for_access_key(self, access_key_id: str | None) -> Credentials:
        """The credentials to check a request signed by `access_key_id` with: as resolved, or,
        when only the secret was given, that secret under the key the source names."""
        if self.access_key_known:
            return self.credentials
        if not access_key_id:
            raise InputError(
                "--access-key",
                "missing: given --secret-key without it, AWS_ACCESS_KEY_ID is not set and the "
                "source names no access key",
            )
        creds = self.credentials
        return _credentials(
            access_key_id, creds.secret_access_key, creds.session_token, "the source's access key"
        )


@dataclass(frozen=True, slots=True)
class _Ini:
    """One parsed shared file: sections as configparser reads them, plus where each line is
    (configparser drops line numbers, and errors must name them)."""

    display: str
    sections: dict[str, dict[str, str]]
    lines: dict[tuple[str, str], int]

    def line(self, section: str, option: str = "") -> int:
        for key in ((section, option), (_DEFAULT_SECTION, option), (section, "")):
            if key in self.lines:
                return self.lines[key]
        return 1

    def where(self, section: str, option: str = "") -> str:
        return f"{self.display} line {self.line(section, option)}"

    def label(self, section: str) -> str:
        return f"{self.display} [{section}]"


@dataclass(frozen=True, slots=True)
class _Profile:
    """A profile as botocore sees it: its credentials-file section over its config-file one."""

    name: str
    creds: tuple[_Ini, str] | None
    config: tuple[_Ini, str] | None

    def parts(self) -> list[tuple[_Ini, str]]:
        return [p for p in (self.creds, self.config) if p is not None]

    def get(self, key: str) -> tuple[str, _Ini, str] | None:
        """The value of `key`, the file and the section it came from (credentials file first,
        as botocore merges the two)."""
        for ini, section in self.parts():
            if key in ini.sections[section]:
                return ini.sections[section][key], ini, section
        return None


def _display(path: Path, home: Path | None) -> str:
    if home is not None:
        try:
            return "~/" + path.relative_to(home).as_posix()
        except ValueError:
            pass
    return str(path)


def _expand(raw: str, env: Mapping[str, str], home: Path | None) -> Path:
    """``$VAR`` and ``~`` in a file path, as botocore expands them, from the given env and home
    rather than the process's own."""

    def var(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return env.get(name, match.group(0))

    text = re.sub(r"\$(?:(\w+)|\{([^}]*)\})", var, raw)
    if home is not None and (text == "~" or text.startswith("~/")):
        return home / text[2:]
    return Path(text)


def _locate(text: str) -> dict[tuple[str, str], int]:
    """Line of each section header and option, following configparser's rules for comments
    and indented continuation lines."""
    lines: dict[tuple[str, str], int] = {}
    section: str | None = None
    option: str | None = None
    indent = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        level = len(raw) - len(raw.lstrip())
        if section is not None and option and level > indent:
            continue
        indent = level
        header = _SECTION.match(stripped)
        if header:
            section, option = header.group("header"), None
            lines.setdefault((section, ""), number)
            continue
        match = _OPTION.match(stripped)
        if section is not None and match:
            option = match.group("option").rstrip().lower()
            lines.setdefault((section, option), number)
    return lines


def _clip(text: str, limit: int = 60) -> str:
    """A quoted line short enough for a one-line error."""
    return text if len(text) <= limit else text[:limit] + "..."


def _read_ini(path: Path, display: str) -> _Ini | None:
    """Parse one shared file; None when it does not exist. Unreadable or malformed files are
    one-line errors naming the file and line."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not hang us
    except (FileNotFoundError, NotADirectoryError):  # missing files are fine, as for the AWS CLI
        return None
    except OSError as exc:
        raise InputError(display, f"cannot read: {exc.strerror}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISCHR(mode) and os.path.realpath(path) == os.devnull:
            return None  # AWS_CONFIG_FILE=/dev/null: "no shared file", as the AWS CLI reads it
        raise InputError(display, "is not a regular file")
    try:
        with os.fdopen(fd, "rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(display, f"cannot read: {exc.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(display, f"larger than {MAX_FILE_BYTES} bytes; is this the right file?")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"{display} line {line}", "not UTF-8 text") from None
    import configparser  # only when a shared file exists: start-up does not pay for it

    parser = configparser.RawConfigParser(interpolation=None, strict=True)
    try:
        parser.read_string(text, source=display)
    except configparser.MissingSectionHeaderError as exc:
        raise InputError(
            f"{display} line {exc.lineno}", "a setting before any [section] header"
        ) from None
    except configparser.ParsingError as exc:
        line = exc.errors[0][0]
        content = _clip(text.splitlines()[line - 1].strip())
        raise InputError(
            f"{display} line {line}", f"{content!r} is neither 'key = value' nor [section]"
        ) from None
    except configparser.DuplicateSectionError as exc:
        raise InputError(f"{display} line {exc.lineno}", f"[{exc.section}] given twice") from None
    except configparser.DuplicateOptionError as exc:
        raise InputError(
            f"{display} line {exc.lineno}", f"{exc.option!r} given twice in [{exc.section}]"
        ) from None
    except configparser.Error as exc:
        raise InputError(display, exc.message.splitlines()[0]) from None
    sections = {name: dict(parser.items(name)) for name in parser.sections()}
    return _Ini(display, sections, _locate(text))


def _nested(ini: _Ini, section: str, option: str) -> dict[str, str]:
    """An indented block (``s3 =`` followed by ``endpoint_url = ...`` lines), as botocore
    reads it."""
    value = ini.sections[section].get(option, "")
    out: dict[str, str] = {}
    for line in value.splitlines():
        if not line.strip():
            continue
        key, sep, item = line.partition("=")
        if not sep:
            raise InputError(
                ini.where(section, option),
                f"[{section}] {option}: {_clip(line.strip())!r} is not 'key = value'",
            )
        out[key.strip()] = item.strip()
    return out


def _config_profiles(ini: _Ini | None, prefix: str) -> dict[str, str]:
    """Config-file sections named ``[<prefix> name]`` by name (``[default]`` counts as a profile
    too), later sections replacing earlier ones, as botocore's build_profile_map does."""
    out: dict[str, str] = {}
    for section in ini.sections if ini is not None else ():
        if section.startswith(prefix):
            import shlex

            try:
                parts = shlex.split(section)
            except ValueError:
                continue
            if len(parts) == 2:
                out[parts[1]] = section
        elif prefix == "profile" and section == "default":
            out["default"] = section
    return out


def _env(env: Mapping[str, str], name: str) -> str | None:
    """An environment variable, with empty meaning unset (``AWS_PROFILE= cmd``)."""
    return env.get(name) or None


def _check_endpoint(url: str, where: str) -> str:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:  # "Invalid IPv6 URL"
        raise InputError(where, f"{url!r} does not parse: {exc}") from None
    if parts.scheme.lower() not in ("http", "https"):
        if "://" not in url:
            raise InputError(where, f"{url!r} has no scheme; write http://{url} or https://{url}")
        raise InputError(where, f"{url!r}: the scheme must be http or https")
    if not host:
        raise InputError(where, f"{url!r} names no host")
    return url


def _check_region(region: str, where: str) -> str:
    if not _REGION.match(region):
        raise InputError(where, f"region {region!r} may hold only letters, digits, '.', '_', '-'")
    return region


def _credentials(
    key: str, secret: str, token: str | None, where: str, token_where: str | None = None
) -> Credentials:
    """Build credentials, pointing any complaint at the variable, flag or file line it came
    from (`token_where` when the token has its own)."""
    try:
        return Credentials(key, secret, token)
    except InputError as exc:
        if token_where is not None and exc.field == "session token":
            raise InputError(token_where, exc.message) from None
        raise InputError(where, f"{exc.field}: {exc.message}") from None


def _shared_file(
    env: Mapping[str, str], home: Path | None, variable: str, default: str
) -> tuple[SharedFile | None, _Ini | None]:
    raw = env.get(variable)
    if raw is not None:
        source = f"env {variable}"
        if not raw:  # botocore reads no file when the variable is set but empty
            return SharedFile("", f"{source} (empty: not read)", False), None
        path = _expand(raw, env, home)
    elif home is not None:
        source, path = "default", home / ".aws" / default
    else:
        return None, None
    display = _display(path, home)
    ini = _read_ini(path, display)
    return SharedFile(display, source, ini is not None), ini


def _profile_hint(name: str, creds: _Ini | None, config: _Ini | None) -> str:
    """Point at the usual mix-up: ``[profile x]`` in the credentials file, ``[x]`` in config."""
    if config is not None and name in config.sections and name != "default":
        return f"; {config.where(name)} names it [{name}], the config file wants [profile {name}]"
    if creds is not None and f"profile {name}" in creds.sections:
        return (
            f"; {creds.where(f'profile {name}')} names it [profile {name}], "
            f"the credentials file wants [{name}]"
        )
    return ""


def _refuse_dynamic(profile: _Profile, keys: tuple[str, ...]) -> None:
    """Credentials through STS, SSO or a process: say so instead of signing with other keys."""
    for key in keys:
        found = profile.get(key)
        if found is not None:
            _, ini, section = found
            raise UnsupportedError(
                f"{ini.where(section, key)}: [{section}] gets its credentials through {key}, "
                f"which sigkit does not follow; export them (aws configure export-credentials "
                f"--profile {profile.name} --format env) and run sigkit with those"
            )


def _static(ini: _Ini, section: str) -> tuple[str, str, str | None] | None:
    values = ini.sections[section]
    key = values.get("aws_access_key_id")
    secret = values.get("aws_secret_access_key")
    if key is None and secret is None:
        return None
    if not key:
        raise InputError(
            ini.where(section, "aws_secret_access_key"),
            f"[{section}] has aws_secret_access_key but no aws_access_key_id",
        )
    if not secret:
        raise InputError(
            ini.where(section, "aws_access_key_id"),
            f"[{section}] has aws_access_key_id but no aws_secret_access_key",
        )
    token = next((values[k] for k in _TOKEN_KEYS if k in values), None)
    return key, secret, token or None


def _profile_credentials(profile: _Profile) -> tuple[Credentials, str] | None:
    """Static keys of the profile in botocore's provider order; refuse the kinds sigkit cannot
    obtain rather than silently sign with other keys than the AWS CLI would use."""
    _refuse_dynamic(profile, _BEFORE_STATIC)
    if profile.creds is not None:
        ini, section = profile.creds
        found = _static(ini, section)
        if found is not None:
            return _credentials(*found, ini.where(section, "aws_access_key_id")), ini.label(section)
    _refuse_dynamic(profile, _AFTER_STATIC)
    if profile.config is not None:
        ini, section = profile.config
        found = _static(ini, section)
        if found is not None:
            return _credentials(*found, ini.where(section, "aws_access_key_id")), ini.label(section)
    return None


def _places(name: str, *files: tuple[SharedFile | None, tuple[_Ini, str] | None]) -> list[str]:
    """Where the profile's keys were looked for, for the message when there are none."""
    out = []
    for shared, part in files:
        if part is not None:
            out.append(part[0].label(part[1]))
        elif shared is not None and shared.found:
            out.append(f"{shared.path} (no [{name}])")
        elif shared is not None and shared.path:
            out.append(f"{shared.path} (not found)")
    return out


def _boolean(value: str) -> bool:
    return value.strip().lower() == "true"  # botocore's ensure_boolean


def _endpoint(
    flag: str | None, service: str, env: Mapping[str, str], profile: _Profile, config: _Ini | None
) -> Sourced | None:
    """Flag, AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's services section,
    the profile's endpoint_url: the AWS SDKs' documented order."""
    if flag is not None:
        return Sourced(_check_endpoint(flag, "--endpoint-url"), "--endpoint-url")
    ignore = env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
    if ignore is None:
        found = profile.get("ignore_configured_endpoint_urls")
        ignore = found[0] if found else None
    if ignore is not None and _boolean(ignore):
        return None
    service_id = re.sub(r"[\s-]", "_", service).lower()
    for name in (f"AWS_ENDPOINT_URL_{service_id.upper()}", "AWS_ENDPOINT_URL"):
        value = _env(env, name)
        if value is not None:
            return Sourced(_check_endpoint(value, name), f"env {name}")
    found = profile.get("services")
    if found is not None:
        services_name, ini, section = found
        where = ini.where(section, "services")
        if config is None:
            raise InputError(where, f"services = {services_name}, but there is no config file")
        sections = _config_profiles(config, "services")
        if services_name not in sections:
            missing = f"no [services {services_name}] in {config.display}"
            raise InputError(where, f"services = {services_name}: {missing}")
        block = sections[services_name]
        url = _nested(config, block, service_id).get("endpoint_url")
        if url:
            return Sourced(
                _check_endpoint(url, config.where(block, service_id)),
                f"{config.label(block)} {service_id}",
            )
    found = profile.get("endpoint_url")
    if found is not None and found[0]:
        url, ini, section = found
        return Sourced(_check_endpoint(url, ini.where(section, "endpoint_url")), ini.label(section))
    return None


@dataclass(frozen=True, slots=True)
class _Selection:
    """The profile in use, why, and the shared files it was looked up in."""

    chosen: Sourced
    named_by: str | None  # "--profile" or "AWS_PROFILE" when named, so it must exist
    profile: _Profile
    creds_file: SharedFile | None
    config_file: SharedFile | None
    config_ini: _Ini | None


def _select(env: Mapping[str, str], home: Path | None, profile: str | None) -> _Selection:
    """--profile, else AWS_PROFILE, else default; a named profile must exist in a file."""
    if profile is not None:
        if not profile:
            raise InputError("--profile", "empty profile name")
        chosen, named_by = Sourced(profile, "--profile"), "--profile"
    elif _env(env, "AWS_PROFILE") is not None:
        chosen, named_by = Sourced(env["AWS_PROFILE"], "env AWS_PROFILE"), "AWS_PROFILE"
    else:
        chosen, named_by = Sourced("default", "default"), None
    creds_file, creds_ini = _shared_file(env, home, "AWS_SHARED_CREDENTIALS_FILE", "credentials")
    config_file, config_ini = _shared_file(env, home, "AWS_CONFIG_FILE", "config")
    name = chosen.value
    creds_part = (creds_ini, name) if creds_ini and name in creds_ini.sections else None
    config_section = _config_profiles(config_ini, "profile").get(name)
    config_part = (config_ini, config_section) if config_ini and config_section else None
    selected = _Profile(name, creds_part, config_part)
    if named_by is not None and not selected.parts():
        known = sorted(
            set(creds_ini.sections if creds_ini else ())
            | set(_config_profiles(config_ini, "profile"))
        )
        looked = " or ".join(f.path for f in (creds_file, config_file) if f and f.found)
        raise InputError(
            named_by,
            f"profile {name!r} not found"
            + (f" in {looked}" if looked else " (no credentials or config file found)")
            + (f" (profiles: {', '.join(known)})" if known else "")
            + _profile_hint(name, creds_ini, config_ini),
        )

    return _Selection(chosen, named_by, selected, creds_file, config_file, config_ini)


def resolve_region(
    *,
    env: Mapping[str, str],
    home: Path | None,
    region: str | None = None,
    profile: str | None = None,
) -> Sourced | None:
    """The configured region alone (see `_region`), for commands that need no credentials."""
    return _region(region, env, _select(env, home, profile).profile)


REGION_ORDER = "--region, AWS_REGION, AWS_DEFAULT_REGION, the profile's region"


def _region(flag: str | None, env: Mapping[str, str], profile: _Profile) -> Sourced | None:
    """The configured region: --region, else AWS_REGION, else AWS_DEFAULT_REGION, else the
    profile's ``region`` (credentials file over config file, as botocore merges them).

    AWS_REGION first is the AWS CLI v2 and SDK rule; botocore 1.43 (and so the AWS CLI v1)
    reads only AWS_DEFAULT_REGION, then the profile. An empty variable counts as unset."""
    if flag is not None:
        return Sourced(_check_region(flag, "--region"), "--region")
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        value = _env(env, variable)
        if value is not None:
            return Sourced(_check_region(value, variable), f"env {variable}")
    in_profile = profile.get("region")
    if in_profile is not None and in_profile[0]:
        value, ini, section = in_profile
        return Sourced(_check_region(value, ini.where(section, "region")), ini.label(section))
    return None


def resolve(
    *,
    env: Mapping[str, str],
    home: Path | None,
    access_key: str | None = None,
    secret_key: str | None = None,
    session_token: str | None = None,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    service: str | None = "s3",
    access_key_from_source: bool = False,
) -> Resolved:
    """Credentials, region, endpoint URL and profile, each from the first place that has it:
    flags, then environment variables, then the shared credentials and config files.

    A secret given without its access key (`secret_key` alone) takes AWS_ACCESS_KEY_ID; when
    that is unset too, `access_key_from_source` (explain, diff, verify: the request or log
    names the key) makes it legal: the result's `access_key_known` is False and
    `Resolved.for_access_key` supplies the key later. Without it, that is an input error.

    `home` locates ``~/.aws/credentials`` and ``~/.aws/config`` (None: only files named by
    AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE are read). `service` picks the
    AWS_ENDPOINT_URL_<SERVICE> variable and services-section entry; None skips the endpoint
    URL, for commands that take the whole URL. With no credentials anywhere the documentation
    example pair is used, unless a profile was named, which must then exist and hold keys.
    """
    sel = _select(env, home, profile)
    chosen, named_by, selected = sel.chosen, sel.named_by, sel.profile
    creds_file, config_file, config_ini = sel.creds_file, sel.config_file, sel.config_ini
    name, creds_part, config_part = selected.name, selected.creds, selected.config

    tried = [FLAGS_SOURCE]
    found: tuple[Credentials, str] | None = None
    key_known = True
    if access_key is not None or secret_key is not None:
        if not secret_key:
            raise InputError("--secret-key", "missing (given --access-key without it)")
        env_key = _env(env, "AWS_ACCESS_KEY_ID") if profile is None else None
        if access_key is not None:
            found = Credentials(access_key, secret_key), FLAGS_SOURCE
        elif env_key is not None:
            # The secret alone names no key; the environment's key goes with it (botocore would
            # take the pair from there too). Its secret, if any, is the one replaced.
            creds = _credentials(env_key, secret_key, None, "AWS_ACCESS_KEY_ID")
            found = creds, KEY_FROM_ENV_SOURCE
        elif access_key_from_source:
            found = Credentials(UNKNOWN_ACCESS_KEY, secret_key), SECRET_FLAG_SOURCE
            key_known = False
        else:
            unset = "--profile given" if profile is not None else "AWS_ACCESS_KEY_ID is not set"
            raise InputError("--access-key", f"missing (given --secret-key without it; {unset})")
    elif profile is not None:
        tried.append("env AWS_ACCESS_KEY_ID (skipped: --profile given)")
    else:
        tried.append("env AWS_ACCESS_KEY_ID")
        env_key, env_secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
        if env_key is not None or env_secret is not None:
            if not env_key:
                raise InputError(
                    "AWS_ACCESS_KEY_ID", "empty or unset while AWS_SECRET_ACCESS_KEY is set"
                )
            if not env_secret:
                raise InputError(
                    "AWS_SECRET_ACCESS_KEY", "empty or unset while AWS_ACCESS_KEY_ID is set"
                )
            token = _env(env, "AWS_SESSION_TOKEN")
            creds = _credentials(
                env_key, env_secret, token, "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN"
            )
            found = creds, "env AWS_ACCESS_KEY_ID"
    if found is None:
        found = _profile_credentials(selected)
        tried += _places(name, (creds_file, creds_part), (config_file, config_part))
    example = found is None
    if found is None:
        if named_by is not None:
            raise InputError(
                named_by, f"profile {name!r} holds no credentials; tried {', '.join(tried)}"
            )
        pair = Credentials(EXAMPLE_ACCESS_KEY_ID, EXAMPLE_SECRET_ACCESS_KEY)
        found = pair, f"{EXAMPLE_SOURCE} (none in {', '.join(tried)})"
    creds, creds_source = found
    token_source = None
    if session_token:
        creds = _credentials(
            creds.access_key_id,
            creds.secret_access_key,
            session_token,
            creds_source,
            "--session-token",
        )
        token_source = "--session-token"
    elif creds.session_token is not None:
        token_source = creds_source.replace("env AWS_ACCESS_KEY_ID", "env AWS_SESSION_TOKEN")

    resolved_region = _region(region, env, selected)

    endpoint = None
    if service is not None:
        endpoint = _endpoint(endpoint_url, service, env, selected, config_ini)
    return Resolved(
        credentials=creds,
        credentials_source=creds_source,
        session_token_source=token_source,
        profile=chosen,
        region=resolved_region,
        endpoint_url=endpoint,
        credentials_file=creds_file,
        config_file=config_file,
        example=example,
        access_key_known=key_known,
    )
