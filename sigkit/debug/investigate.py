"""One investigation: read every source, recompute, compare, diagnose, and say how sure.

`investigate(*sources, ...)` is the library entry every command renders; `received(...)` is
the part a verifying server (`sigkit serve`, `sigkit verify`) needs for one refused request.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sigkit.credentials import Credentials
from sigkit.debug.model import Finding
from sigkit.errors import SigkitError
from sigkit.http import Request
from sigkit.sigv2.s3 import S3V2Config
from sigkit.sigv4.config import SigV4Config
from sigkit.verify import VerifyResult


def _ordered(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """Certain findings first, then the rest in the order found; one per (cause, evidence)."""
    seen: set[tuple[str, str]] = set()
    out: list[Finding] = []
    for finding in sorted(findings, key=lambda f: not f.certain):
        if (finding.cause, finding.evidence) not in seen:
            seen.add((finding.cause, finding.evidence))
            out.append(finding)
    return tuple(out)


def received(
    request: Request,
    outcome: VerifyResult,
    credentials: Credentials | None,
    now: datetime,
    *,
    config: SigV4Config | S3V2Config | None = None,
) -> tuple[Finding, ...]:
    """Why a server refused `request` (its `outcome` from `verify_request`), most likely first.

    A refusal with a stated cause (time, token, scope, unsigned header ...) is certain; a bare
    SignatureDoesNotMatch is searched with the catalogued variants when the secret is known."""
    findings = [Finding(p.cause, p.message, certain=True) for p in outcome.problems if p.cause]
    bare = [p.code for p in outcome.problems] == ["SignatureDoesNotMatch"]
    provided = outcome.signature_provided
    if bare and credentials is not None and provided:
        from sigkit.debug.variants import find_variant, find_variant_v2

        try:
            if outcome.algorithm == "AWS":
                v2 = config if isinstance(config, S3V2Config) else S3V2Config()
                found = find_variant_v2(request, credentials, now, v2, provided)
            else:
                used = config or getattr(outcome, "config", None)
                v4 = used if isinstance(used, SigV4Config) else None
                if v4 is None:
                    return _ordered(findings)
                found = find_variant(request, credentials, now, v4, provided)
        except SigkitError:
            found = None
        if found is not None:
            findings.append(found)
    return _ordered(findings)
