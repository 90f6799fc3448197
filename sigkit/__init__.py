"""sigkit: AWS request signing with every intermediate step exposed.

The core (encoding, http, sigv4, sigv2) is pure: time, credentials and options are arguments.
"""

from sigkit.credentials import Credentials
from sigkit.errors import InputError, SigkitError, UnsupportedError, VerificationError
from sigkit.http import Request, parse_request_text, serialize_request
from sigkit.result import SigningResult, Step
from sigkit.sigv2 import S3V2Config, presign_v2, sign_v2, sign_v2_query
from sigkit.sigv4 import (
    SigV4Config,
    presign_v4,
    presign_v4a,
    sign_v4,
    sign_v4_query,
    sign_v4a,
    sign_v4a_query,
    verify_v4a,
)

__all__ = [
    "Credentials",
    "InputError",
    "Request",
    "S3V2Config",
    "SigV4Config",
    "SigkitError",
    "SigningResult",
    "Step",
    "UnsupportedError",
    "VerificationError",
    "parse_request_text",
    "presign_v2",
    "presign_v4",
    "presign_v4a",
    "serialize_request",
    "sign_v2",
    "sign_v2_query",
    "sign_v4",
    "sign_v4_query",
    "sign_v4a",
    "sign_v4a_query",
    "verify_v4a",
]
