"""boto3/botocore errors that say why: ``explain_failures(client_or_session)``.

One line in a failing program::

    s3 = explain_failures(boto3.client("s3"))   # or explain_failures(boto3.Session())

and a `botocore.exceptions.ClientError` for a signing refusal (SignatureDoesNotMatch,
InvalidAccessKeyId, RequestTimeTooSkewed, XAmzContentSHA256Mismatch ...) carries sigkit's
findings: ``error.sigkit_report`` (the `Report`), ``error.sigkit_cause`` (e.g.
``wrong-secret``), and the cause, its evidence and fix appended to ``str(error)``. Nothing is
printed, and nothing else changes.

On every call, three botocore event handlers keep references and nothing more: the request as
botocore signed it (``request-created``, which runs after botocore's signer), the request as
sent (``before-send``) and the answer (``after-call``); the references are dropped when the call
returns. Only when a call fails with a signing refusal does sigkit work: it recomputes
botocore's canonical request and string to sign with botocore's own signer class from the
signed request, reads the answer with the debugger's readers and runs `investigate` on the
three, with the client's credentials. A secret is never put in the message.
"""

from __future__ import annotations

import threading
from types import MethodType
from typing import Any, TypeVar

from sigkit.integrations._optional import missing

try:
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - the extra is installed for the tests
    raise missing("botocore", "boto3") from None

from sigkit.credentials import Credentials
from sigkit.integrations import _refusal

__all__ = ["explain_failures"]

T = TypeVar("T")
_MARK = "_sigkit_explains"
_HANDLERS_ID = "sigkit-explain-failures"
_seen = threading.local()  # this thread's current call: signed, sent, answer


def _on_signed(request: Any, **_: Any) -> None:
    _seen.signed = request


def _on_send(request: Any, **_: Any) -> None:
    _seen.sent = request  # returns None: botocore sends it (a value would be the response)


def _on_answer(http_response: Any, **_: Any) -> None:
    _seen.answer = http_response


def _register(events: Any) -> None:
    events.register("request-created", _on_signed, unique_id=f"{_HANDLERS_ID}-signed")
    events.register("before-send", _on_send, unique_id=f"{_HANDLERS_ID}-send")
    events.register("after-call", _on_answer, unique_id=f"{_HANDLERS_ID}-answer")


def _call_explained(client: Any, call: Any, operation_name: str, api_params: Any) -> Any:
    try:
        return call(operation_name, api_params)
    except ClientError as error:
        _explain(client, error)
        raise
    finally:
        _seen.__dict__.clear()  # no request or body kept after the call


class _ExplainingClient:
    """Mixed into the client classes a session creates (``creating-client-class``)."""

    def _make_api_call(self, operation_name: str, api_params: Any) -> Any:
        call = super()._make_api_call  # type: ignore[misc]
        return _call_explained(self, call, operation_name, api_params)


def _add_mixin(base_classes: list[type], **_: Any) -> None:
    if _ExplainingClient not in base_classes:
        base_classes.insert(0, _ExplainingClient)


def explain_failures(session_or_client: T) -> T:
    """Make signing refusals of this client (or of every client this boto3 or botocore
    session creates from now on) carry sigkit's diagnosis; returns its argument."""
    target: Any = session_or_client
    if getattr(target, _MARK, False):
        return session_or_client
    meta = getattr(target, "meta", None)
    if meta is not None and hasattr(meta, "events") and hasattr(target, "_make_api_call"):
        _register(meta.events)
        call = target._make_api_call

        def explained(self: Any, operation_name: str, api_params: Any) -> Any:
            return _call_explained(self, call, operation_name, api_params)

        target._make_api_call = MethodType(explained, target)
    else:
        inner = getattr(target, "_session", target)  # boto3.Session wraps a botocore one
        register = getattr(inner, "register", None)
        if register is None:
            raise TypeError(
                f"explain_failures takes a boto3/botocore client or session, not "
                f"{type(target).__name__}"
            )
        events = inner.get_component("event_emitter")
        _register(events)
        events.register(
            "creating-client-class", _add_mixin, unique_id=f"{_HANDLERS_ID}-class"
        )
    setattr(target, _MARK, True)
    return session_or_client


# -- on failure only ----------------------------------------------------------------------------
def _explain(client: Any, error: Any) -> None:
    """Attach sigkit's report to `error` when it is a signing refusal; never raise."""
    if hasattr(error, "sigkit_report"):  # explained already (a session's and its own)
        return
    response = getattr(error, "response", None) or {}
    err = response.get("Error", {})
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code, message = err.get("Code"), err.get("Message")
    sent = getattr(_seen, "sent", None)
    method = getattr(sent, "method", "GET")
    if not isinstance(status, int) or not _refusal.is_signing_refusal(
        status, code, message, method=method
    ):
        return
    try:
        report, creds = _investigate(client, status)
    except Exception:  # a diagnosis must never replace the error it explains
        return
    if report is None or creds is None or not _refusal.blames_signing(report, code, method):
        return
    text = _refusal.describe(report, status, code, creds)
    error.sigkit_report = report
    top = report.findings[0] if report.findings else None
    error.sigkit_cause = top.cause if top is not None else None
    error.args = (f"{error.args[0] if error.args else ''}\n{text}", *error.args[1:])


def _credentials(client: Any) -> Credentials | None:
    source = getattr(getattr(client, "_request_signer", None), "_credentials", None)
    if source is None:
        return None
    frozen = source.get_frozen_credentials()
    return Credentials(frozen.access_key, frozen.secret_key, frozen.token or None)


def _investigate(client: Any, status: int) -> tuple[Any, Credentials | None]:
    from sigkit.debug.model import Observation
    from sigkit.debug.sources_common import request_fields

    creds = _credentials(client)
    sent, signed, answer = (getattr(_seen, n, None) for n in ("sent", "signed", "answer"))
    if creds is None or sent is None:
        return None, creds
    sources: list[Any] = []
    if signed is not None:
        view = _request(signed.method, signed.url, signed.headers.items(), signed.body)
        if view is not None:
            fields = request_fields(view)
            fields.update(_botocore_steps(signed, creds, fields))
            sources.append(
                Observation(
                    source="botocore", party="client", request=view,
                    where="the request as botocore signed it", **fields,
                )
            )
    sent_view = _request(sent.method, sent.url, sent.headers.items(), sent.body)
    if sent_view is not None:
        sources.append(sent_view)
    if answer is not None:
        headers = [(str(k), str(v)) for k, v in answer.headers.items()]
        obs, _, _ = _refusal.read_answer(answer.status_code, headers, answer.content or b"")
        sources.append(obs)
    from sigkit.debug.investigate import investigate

    secret = creds.secret_access_key
    report = investigate(
        *sources,
        secret=secret.strip() or secret,  # see _refusal.diagnose: whitespace is the slip
        access_key=creds.access_key_id,
        session_token=creds.session_token,
    )
    return report, creds


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _request(method: str, url: str, headers: Any, body: Any) -> Any:
    pairs = [(_text(k), _text(v)) for k, v in headers]
    return _refusal.request_of(method, url, pairs, body if isinstance(body, bytes) else None)


def _botocore_steps(signed: Any, creds: Credentials, fields: dict[str, Any]) -> dict[str, str]:
    """botocore's canonical request and string to sign for the request it signed, recomputed
    by botocore's own signer class (SigV4 header variant; nothing for other kinds)."""
    scope = fields.get("credential_scope") or ""
    parts = scope.split("/")
    if fields.get("algorithm") != "AWS4-HMAC-SHA256" or len(parts) != 4:
        return {}
    from botocore.auth import S3SigV4Auth, SigV4Auth  # type: ignore[import-untyped]
    from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
    from botocore.credentials import Credentials as BotoCredentials  # type: ignore[import-untyped]

    region, service = parts[1], parts[2]
    cls = S3SigV4Auth if service == "s3" else SigV4Auth
    auth = cls(BotoCredentials(creds.access_key_id, creds.secret_access_key), service, region)
    copy = AWSRequest(method=signed.method, url=signed.url, data=signed.data)
    for name, value in signed.headers.items():
        if name.lower() != "authorization":
            copy.headers[name] = value
    copy.context = dict(signed.context)
    try:
        canonical = auth.canonical_request(copy)
        text = auth.string_to_sign(copy, canonical)
    except Exception:
        return {}
    return {"canonical_request": canonical, "string_to_sign": text}
