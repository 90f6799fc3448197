"""What a host name says about the signing scope: service and region, where it says anything.

Only well-known public naming schemes are read; anything else needs --region/--service.
"""

from __future__ import annotations

import re

_S3_AWS = re.compile(
    r"(?:.+\.)?s3(?:[.-](?:dualstack\.)?(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+))?"
    r"(?:\.dualstack)?\.amazonaws\.com(?:\.cn)?\Z"
)
_S3_ACCESS_POINT = re.compile(r".+\.s3-accesspoint\.(?P<region>[a-z0-9-]+)\.amazonaws\.com\Z")
_AWS_REGIONAL = re.compile(
    r"(?P<labels>(?:[a-z0-9-]+\.)*[a-z0-9-]+)"
    r"\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?\Z"
)
_AWS_GLOBAL = re.compile(r"(?P<prefix>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\Z")
_WASABI = re.compile(r"(?:.+\.)?s3(?:\.(?P<region>[a-z0-9-]+))?\.wasabisys\.com\Z")

# (host suffix, service, region) for S3-compatible stores whose documentation fixes the region.
_KNOWN = (
    ("storage.yandexcloud.net", "s3", "ru-central1"),
    ("r2.cloudflarestorage.com", "s3", "auto"),
)


# Endpoint prefixes whose signing name differs (from the services' endpoint documentation).
_SIGNING_NAMES = {
    "email": "ses",
    "s3-control": "s3",
    "s3-fips": "s3",
    "s3-external-1": "s3",
    "iot-data": "iotdata",
    "data-ats.iot": "iotdata",
    "data.iot": "iotdata",
    "runtime.sagemaker": "sagemaker",
    "runtime.lex": "lex",
    "streams.dynamodb": "dynamodb",
    "monitoring": "monitoring",
}


def _signing_name(labels: str) -> str:
    """The service of ``[...].prefix.region.amazonaws.com``: the last label before the region,
    or the last two where those name a service whose signing name differs."""
    parts = labels.split(".")
    core = [p for p in parts if p != "dualstack"]
    if core and core[-1].startswith("s3express-"):
        return "s3express"  # zonal s3express[-fips]-AZ-ID and s3express-control[-fips]
    two = ".".join(parts[-2:])
    if len(parts) >= 2 and two in _SIGNING_NAMES:
        return _SIGNING_NAMES[two]
    return _SIGNING_NAMES.get(parts[-1], parts[-1])


def infer_scope(host: str) -> tuple[str | None, str | None]:
    """(region, service) named by `host`, each None when the host does not say."""
    name = host.lower()
    if name.startswith("["):
        return None, None
    name = name.rsplit(":", 1)[0]
    for suffix, service, region in _KNOWN:
        if name == suffix or name.endswith("." + suffix):
            return region, service
    if name.endswith(".s3-global.amazonaws.com"):  # Multi-Region Access Point: SigV4A, no region
        return None, "s3"
    match = _S3_ACCESS_POINT.match(name)
    if match:
        return match.group("region"), "s3"
    match = _S3_AWS.match(name)
    if match:
        return match.group("region") or "us-east-1", "s3"
    match = _WASABI.match(name)
    if match:
        return match.group("region") or "us-east-1", "s3"
    match = _AWS_REGIONAL.match(name)
    if match:
        return match.group("region"), _signing_name(match.group("labels"))
    match = _AWS_GLOBAL.match(name)
    if match:
        return "us-east-1", _signing_name(match.group("prefix"))
    return None, None
