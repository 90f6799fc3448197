"""What the three HTTP adapters share besides signing: their options and the refusal check."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sigkit.http import Request
from sigkit.integrations import _refusal
from sigkit.integrations._signing import Algorithm, Payload, Signed, Signer


class AdapterBase:
    """Options every adapter takes (see `Signer`), plus `debug`: a refusal with a signing
    error code becomes `SigningRefused` carrying sigkit's diagnosis of that request."""

    def __init__(
        self,
        service: str = "s3",
        region: str | None = None,
        *,
        credentials: object = None,
        profile: str | None = None,
        algorithm: Algorithm = "v4",
        region_set: str | Sequence[str] | None = None,
        payload: Payload = "hashed",
        presign: bool = False,
        expires: int = 3600,
        chunk_size: int | None = None,
        debug: bool = False,
        clock: Callable[[], datetime] | None = None,
        **config_changes: Any,
    ) -> None:
        self.signer = Signer(
            service,
            region,
            credentials=credentials,
            profile=profile,
            algorithm=algorithm,
            region_set=region_set,
            payload=payload,
            presign=presign,
            expires=expires,
            chunk_size=chunk_size,
            clock=clock,
            **config_changes,
        )
        self.debug = debug

    def presign(self, method: str, url: str, headers: Sequence[tuple[str, str]] = ()) -> str:
        """A presigned URL for `method` on `url` (needs ``presign=True``), signed now."""
        if not self.signer.presign:
            from sigkit.errors import InputError

            raise InputError("presign", "this auth signs headers; create it with presign=True")
        signed = self.signer.sign(method, url, headers)
        assert signed.url is not None
        return signed.url

    def refusal(
        self,
        signed: Signed,
        status: int,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        sent: Request | None,
    ) -> tuple[str, _refusal.Report, str | None] | None:
        """The message, report and code when (status, body) is a signing refusal, else None."""
        answer, code, message = _refusal.read_answer(status, headers, body)
        method = signed.result.request.method
        if not _refusal.is_signing_refusal(status, code, message, method=method):
            return None
        creds = signed.credentials
        report = _refusal.diagnose(
            signed.result,
            sent,
            answer,
            creds,
            region=self.signer.region if self.signer.algorithm == "v4" else None,
            service=self.signer.service if self.signer.algorithm != "s3v2" else None,
        )
        if not _refusal.blames_signing(report, code, method):
            return None
        return _refusal.describe(report, status, code, creds), report, code

    @staticmethod
    def raise_refused(
        error: _refusal.SigningRefused,
        signed: Signed,
        report: _refusal.Report,
        status: int,
        code: str | None,
    ) -> None:
        _refusal.fill(error, report, status, code, signed.credentials)
        raise error
