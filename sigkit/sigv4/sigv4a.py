"""SigV4A: SigV4's canonical request, signed with ECDSA P-256 over a set of regions.

What differs from SigV4, and nothing else does:

- the algorithm is ``AWS4-ECDSA-P256-SHA256`` and the credential scope holds no region:
  ``<date>/<service>/aws4_request``;
- the region set (``X-Amz-Region-Set``: a comma list of region names or wildcards such as
  ``*`` or ``us-*``) is signed, as a header or as a query parameter;
- the key is an ECDSA P-256 key derived from the access key id and the secret (see
  `derive_private_key`); the signature is the hex of a DER-encoded ECDSA signature over the
  SHA-256 of the string to sign. ECDSA uses a random nonce, so two signatures of the same
  request differ: a signature is checked by verifying it with the public key, never by
  comparing it.

The canonical request comes from `sigkit.sigv4.signer.canonical_steps`, so every SigV4
canonicalisation rule (and option of `SigV4Config`) applies unchanged. `config.region` is
not part of a SigV4A signature; it is only the default region set.

`cryptography` is imported on first use, so importing sigkit (and the CLI's start) does not
pay for it unless SigV4A is used.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from sigkit.credentials import Credentials
from sigkit.errors import InputError
from sigkit.http import Request
from sigkit.keycache import holds_keys
from sigkit.result import SigningResult
from sigkit.sigv4.canonical import payload_hash
from sigkit.sigv4.config import SigV4Config
from sigkit.sigv4.signer import (
    PRESIGN_PARAMS,
    begin,
    canonical_steps,
    finish_query,
    header_additions,
    host_addition,
    query_additions,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

ALGORITHM_V4A = "AWS4-ECDSA-P256-SHA256"
REGION_SET_HEADER = "X-Amz-Region-Set"
REGION_SET_PARAM = "X-Amz-Region-Set"
PRESIGN_PARAMS_V4A = PRESIGN_PARAMS | {REGION_SET_PARAM}

# Order of the P-256 group (FIPS 186-4, D.1.2.3).
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_KDF_LABEL = ALGORITHM_V4A.encode("ascii")
_KDF_MAX_COUNTER = 254
_REGION_ENTRY = re.compile(r"[A-Za-z0-9._*-]+\Z")
_REGION_SET = re.compile(r"[A-Za-z0-9._*-]+(?:,[A-Za-z0-9._*-]+)*\Z")


@lru_cache(maxsize=1)
def _ecdsa() -> ec.ECDSA:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.ECDSA(hashes.SHA256())


def region_set_value(region_set: str | Iterable[str]) -> str:
    """The ``X-Amz-Region-Set`` value: region names or wildcards (``*``, ``us-*``), joined by
    commas without spaces. Takes a comma list or a sequence of entries.

    >>> region_set_value("us-east-1,eu-*")
    'us-east-1,eu-*'
    """
    if isinstance(region_set, str) and _REGION_SET.match(region_set):
        return region_set  # the common case, checked in one step
    entries = region_set.split(",") if isinstance(region_set, str) else list(region_set)
    if not entries or entries == [""]:
        raise InputError("region set", "empty region set; give a region, a list or '*'")
    for entry in entries:
        if not isinstance(entry, str):
            raise InputError("region set", f"{entry!r} is not text")
        if entry == "":
            raise InputError("region set", f"empty entry in {','.join(entries)!r}")
        if any(c.isspace() for c in entry):
            raise InputError(
                "region set", f"{entry!r} holds a space; separate regions by ',' alone"
            )
        if not _REGION_ENTRY.match(entry):
            raise InputError(
                "region set",
                f"{entry!r} may hold only letters, digits, '.', '_', '-' and the wildcard '*'",
            )
    return ",".join(entries)


def kdf_candidate(access_key_id: str, secret: str, counter: int) -> int:
    """One candidate of the SigV4A key derivation (NIST SP 800-108 HMAC-SHA256 counter mode,
    a single 256-bit block), read as a big-endian integer::

        fixed = 0x00000001 || "AWS4-ECDSA-P256-SHA256" || 0x00
                || AccessKeyId || byte(counter) || 0x00000100
        k0    = HMAC-SHA256("AWS4A" + SecretAccessKey, fixed)
    """
    fixed = (
        b"\x00\x00\x00\x01"
        + _KDF_LABEL
        + b"\x00"
        + access_key_id.encode("utf-8")
        + bytes([counter])
        + (256).to_bytes(4, "big")
    )
    key = ("AWS4A" + secret).encode("utf-8")
    return int.from_bytes(hmac.digest(key, fixed, "sha256"), "big")


def derive_private_value(access_key_id: str, secret: str) -> tuple[int, int]:
    """The private scalar ``d`` and the counter that gave it.

    For counter = 1, 2, … 254: the first candidate k0 with ``k0 <= n - 2`` (n the P-256
    order) gives ``d = k0 + 1``, so that 1 <= d <= n - 1. A candidate is rejected with
    probability about 2**-32, so the first one is nearly always taken.
    """
    for counter in range(1, _KDF_MAX_COUNTER + 1):
        k0 = kdf_candidate(access_key_id, secret, counter)
        if k0 <= P256_ORDER - 2:
            return k0 + 1, counter
    raise InputError(  # pragma: no cover - probability about 2**-8000
        "secret key", "no SigV4A key can be derived from these credentials"
    )


@holds_keys
@lru_cache(maxsize=64)
def derive_private_key(access_key_id: str, secret: str) -> ec.EllipticCurvePrivateKey:
    """The ECDSA P-256 key SigV4A derives from an access key id and secret.

    Cached per (access key id, secret): the derivation computes a point multiplication.
    `sigkit.forget_keys()` forgets every cached key (and the step values kept with them).
    """
    from cryptography.hazmat.primitives.asymmetric import ec

    d, _ = derive_private_value(access_key_id, secret)
    return ec.derive_private_key(d, ec.SECP256R1())


@holds_keys
@lru_cache(maxsize=64)
def _key_steps(access_key_id: str, secret: str) -> tuple[ec.EllipticCurvePrivateKey, str, str]:
    """The key with its step values (private d, public X and Y): computed once per key."""
    key = derive_private_key(access_key_id, secret)
    x, y = public_key_xy(key)
    return key, f"{key.private_numbers().private_value:064x}", f"X={x}\nY={y}"


def public_key_xy(
    key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey,
) -> tuple[str, str]:
    """The public point as two 64-digit lower-case hex strings (X, Y), as ``public-key.json``."""
    from cryptography.hazmat.primitives.asymmetric import ec

    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    numbers = public.public_numbers()
    return f"{numbers.x:064x}", f"{numbers.y:064x}"


def public_key_from_xy(x: str, y: str) -> ec.EllipticCurvePublicKey:
    """A P-256 public key from hex coordinates; a point off the curve is an input error."""
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        numbers = ec.EllipticCurvePublicNumbers(int(x, 16), int(y, 16), ec.SECP256R1())
        return numbers.public_key()
    except ValueError as exc:
        raise InputError("public key", f"not a P-256 point: {exc}") from None


def verify_v4a(
    string_to_sign: str, signature_hex: str, public_key: ec.EllipticCurvePublicKey
) -> bool:
    """Whether `signature_hex` (hex of a DER ECDSA signature) signs `string_to_sign`.

    A signature that is not hex is an input error; one that is not valid DER, or does not
    verify, gives False.
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ec

    if not isinstance(public_key.curve, ec.SECP256R1):
        raise InputError("public key", f"SigV4A uses P-256, not {public_key.curve.name}")
    try:
        signature = bytes.fromhex(signature_hex.strip())
    except ValueError:
        raise InputError("signature", f"{signature_hex!r} is not hex") from None
    try:
        public_key.verify(signature, string_to_sign.encode("utf-8"), _ecdsa())
    except InvalidSignature:
        return False
    return True


def _sign(
    request: Request,
    groups: Mapping[str, str],
    credentials: Credentials,
    stamp: str,
    config: SigV4Config,
    region_set: str,
    unsigned: frozenset[str],
    payload: tuple[str, str],
    query_params: Sequence[tuple[str, str]] = (),
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Every step from the canonical request to the ECDSA signature, for either variant."""
    values, notes = canonical_steps(request, groups, config, unsigned, payload, query_params)
    scope = f"{stamp[:8]}/{config.service}/aws4_request"
    string_to_sign = f"{ALGORITHM_V4A}\n{stamp}\n{scope}\n{values['canonical_request_hash']}"
    key, private_hex, public_text = _key_steps(
        credentials.access_key_id, credentials.secret_access_key
    )
    values["region_set"] = region_set
    values["credential_scope"] = scope
    values["string_to_sign"] = string_to_sign
    values["private_key"] = private_hex
    values["public_key"] = public_text
    values["signature"] = key.sign(string_to_sign.encode("utf-8"), _ecdsa()).hex()
    notes["credential_scope"] = [
        f"SigV4A: no region in the scope; the region set is signed as {REGION_SET_HEADER}"
    ]
    notes["signature"] = [
        "ECDSA uses a random nonce: each signing gives another valid signature; "
        "verify with the public key rather than compare"
    ]
    return values, notes


def sign_v4a(
    request: Request,
    credentials: Credentials,
    when: datetime,
    config: SigV4Config,
    region_set: str | Iterable[str] | None = None,
) -> SigningResult:
    """Header variant: adds the token, X-Amz-Date, X-Amz-Region-Set and (if configured)
    x-amz-content-sha256 headers, in that order, then ``Authorization``::

        AWS4-ECDSA-P256-SHA256 Credential=<akid>/<date>/<service>/aws4_request,
        SignedHeaders=<list>, Signature=<hex DER>

    `region_set` defaults to ``config.region``.
    """
    regions = region_set_value(config.region if region_set is None else region_set)
    stamp, groups, sensitive = begin(request, credentials, when, PRESIGN_PARAMS_V4A)
    added, payload, unsigned = header_additions(
        request, credentials, stamp, config, groups, [(REGION_SET_HEADER, regions)]
    )
    values, notes = _sign(
        request,
        groups,
        credentials,
        stamp,
        config,
        regions,
        unsigned,
        payload,
    )
    authorization = (
        f"{ALGORITHM_V4A} Credential={credentials.access_key_id}/{values['credential_scope']}, "
        f"SignedHeaders={values['signed_headers']}, Signature={values['signature']}"
    )
    added.append(("Authorization", authorization))
    values["authorization"] = authorization
    return SigningResult(
        "sigv4a",
        "header",
        values,
        request.with_signer_headers(added),
        notes,
        sensitive,
        added,
    )


def sign_v4a_query(
    request: Request,
    credentials: Credentials,
    when: datetime,
    config: SigV4Config,
    region_set: str | Iterable[str] | None = None,
) -> SigningResult:
    """Query (presigned URL) variant: SigV4's query parameters, then ``X-Amz-Region-Set``
    (signed), then ``X-Amz-Signature``. `region_set` defaults to ``config.region``."""
    regions = region_set_value(config.region if region_set is None else region_set)
    stamp, groups, sensitive = begin(request, credentials, when, PRESIGN_PARAMS_V4A)
    host_added = host_addition(request, groups)
    scope = f"{stamp[:8]}/{config.service}/aws4_request"
    params, signed_params = query_additions(
        ALGORITHM_V4A, credentials, stamp, scope, config, [(REGION_SET_PARAM, regions)]
    )
    values, notes = _sign(
        request,
        groups,
        credentials,
        stamp,
        config,
        regions,
        config.unsigned_headers,
        payload_hash(request, config, groups),
        signed_params,
    )
    signed_request = finish_query(request, host_added, params, values)
    return SigningResult(
        "sigv4a",
        "query",
        values,
        signed_request,
        notes,
        sensitive,
        host_added,
    )


presign_v4a = sign_v4a_query
