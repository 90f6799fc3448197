"""Never a false match: every refusal the per-cause e2e tests produce, in every source form, fed
to `sigkit explain`, `sigkit diff` and `sigkit verify`: none may say verdict ``match`` or exit 0.

The refusals are those of `tests.e2e.causes_cases` (against `sigkit serve` and against Ceph
RGW): among them a curl 7.88 trace signed 40 minutes before it was sent (RGW answered
RequestTimeTooSkewed), expired presigned URLs (given with ``--now``), a trace signed for another
region than a scoped `sigkit serve` answers for, and client logs against `sigkit serve` whose
XML echoes the client's signature back (SignatureProvided). The forms of each refusal:

- ``request``: the bytes the server received (raw HTTP);
- ``log``: the client's log holding the server's answer (botocore / AWS CLI debug log, curl -v
  output with stderr and stdout together); left out when the client went on to succeed (botocore
  follows a region redirect), since that log also holds an accepted request;
- ``answer``: the server's error body alone;
- ``url``: the presigned URL as sent, for query-signed GET requests (a URL implies GET).

A bare request (and a URL) shows no refusal by itself, so with those forms the calls are given
what the user knows: the server's region and service, its session token, the store
(``--store``, for a store's refusal of a well-signed request), and ``--now``
(`sigkit diff` takes no time: for a request refused only for its time, `diff REQUEST --ours` is
left out).

Each test id names one refusal; the failure lists every call that said match (or crashed).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import causes_cases as cc
from tests.e2e.realclients import CliResult


def presigned_url(o: cc.Outcome) -> str | None:
    assert o.refused is not None
    head = o.refused.raw.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    target = head[0].split(" ")[1]
    if "X-Amz-Signature=" not in target and "Signature=" not in target:
        return None
    host = next(
        line.split(":", 1)[1].strip() for line in head[1:] if line.lower().startswith("host:")
    )
    return f"http://{host}{target}"


# `diff REQUEST --ours` takes no time, and a bare request shows no refusal: a request refused
# only for its time (skew, expiry) is a match there, truthfully; every other form is checked.
TIMELESS_DIFF = ("clock-skew", "expired")


def calls(o: cc.Outcome) -> list[list[str]]:
    """Every command on every form of this refusal."""
    now = ["--now", cc.stamp(o.server_now)]
    key = ["--access-key", o.key]
    secret = ["--secret-key", o.secret]
    # What the user knows beside a bare request: the server's region and service, its token.
    known = [
        "--region",
        o.region,
        "--service",
        "s3",
        *(["--session-token", o.token] if o.token else []),
        # A store's refusal of a well-signed request: the user knows which store it was.
        *(["--store", o.case.store] if o.case.store and o.where != "rgw" else []),
    ]
    req, ans = str(o.request_file), str(o.answer_file)
    out = [
        ["explain", req, *key, *secret, *known, *now, "--json"],
        ["explain", req, "--also", ans, *secret, *now, "--json"],
        ["explain", ans, *key, *secret, "--json"],
        ["diff", ans, req, "--json"],
        cc.verify_argv(o),
    ]
    if o.case.cause not in TIMELESS_DIFF:
        out.append(["diff", req, "--ours", *key, *secret, *known, "--json"])
    log = o.log_file
    succeeded = any(e.status < 400 for e in o.exchanges)
    if log is not None and not succeeded:
        out += [
            ["explain", str(log), *secret, "--json"],
            ["explain", str(log), *secret, *now, "--json"],
            ["diff", str(log), "--ours", *secret, "--json"],
            ["diff", ans, str(log), "--json"],
            cc.verify_argv(o, Path(log)),
        ]
    url = presigned_url(o)
    if url is not None and o.refused.method == "GET":
        out += [
            ["explain", url, *secret, *now, "--json"],
            cc.verify_argv(o, Path(url)),
        ]
    return out


def said_match(result: CliResult) -> bool:
    data = result.json() or {}
    return result.code == 0 or data.get("verdict") == "match" or result.code >= 98


def _check(o: cc.Outcome, results: list[CliResult]) -> None:
    assert o.refused is not None, o.describe()
    bad = [r.show() for r in results if said_match(r)]
    assert not bad, f"{len(bad)} of {len(results)} calls said match:\n" + "\n".join(bad)


def _run(outcomes: tuple[cc.Outcome, ...]) -> dict[str, tuple[cc.Outcome, list[CliResult]]]:
    # A case where nothing is refused (a store that keeps the framing) has no refusal to check.
    refused = [o for o in outcomes if o.refused is not None and not o.case.accepted]
    batches = [calls(o) for o in refused]
    flat = cc.pool().run_all([argv for batch in batches for argv in batch])
    out, pos = {}, 0
    for o, batch in zip(refused, batches, strict=True):
        out[o.case.id] = (o, flat[pos : pos + len(batch)])
        pos += len(batch)
    return out


@pytest.fixture(scope="module")
def serve_calls() -> dict[str, tuple[cc.Outcome, list[CliResult]]]:
    return _run(cc.serve_outcomes())


@pytest.fixture(scope="module")
def rgw_calls(s3server: dict[str, str]) -> dict[str, tuple[cc.Outcome, list[CliResult]]]:
    return _run(cc.rgw_outcomes(*cc.rgw_env(s3server)))


SERVE_IDS = [c.id for c in cc.CASES if c.serve is not None and not c.accepted]
RGW_IDS = [c.id for c in cc.CASES if c.rgw]


@pytest.mark.parametrize("case_id", SERVE_IDS)
def test_no_false_match_serve(
    case_id: str, serve_calls: dict[str, tuple[cc.Outcome, list[CliResult]]]
) -> None:
    assert case_id in serve_calls, "the scenario made no refused request"
    _check(*serve_calls[case_id])


@pytest.mark.e2e
@pytest.mark.parametrize("case_id", RGW_IDS)
def test_no_false_match_rgw(
    case_id: str, rgw_calls: dict[str, tuple[cc.Outcome, list[CliResult]]]
) -> None:
    assert case_id in rgw_calls, "the scenario made no refused request"
    _check(*rgw_calls[case_id])


def test_the_named_refusals_are_among_them() -> None:
    """The refusals the issue names are in the tables above."""
    rgw = {c.id for c in cc.CASES if c.rgw}
    serve = {c.id for c in cc.CASES if c.serve is not None}
    assert "clock-skew-curl-old-amz-date" in rgw  # signed 40 minutes before it was sent
    assert "expired-botocore-presign-curl" in serve & rgw  # with --now
    assert "region-curl" in serve  # the wrong region against a scoped serve
    assert "wrong-secret-botocore" in serve  # serve's XML echoes SignatureProvided
    # The checksum era's refusals of well-signed requests, each as its store answers it (with
    # --store given where only the bare request is shown).
    for case_id in (
        "checksum-unsupported-awscli-put-r2",  # 501 NotImplemented
        "checksum-unsupported-botocore-put-b2",
        "aws-chunked-unsupported-botocore-trailer-scality",
        "aws-chunked-unsupported-botocore-trailer-hetzner",  # XAmzContentSHA256Mismatch
        "content-md5-required-awscli-delete-objects-minio",
        "presigned-checksum-curl-presigned-empty-crc32-r2",
        "content-length-chunked-curl-chunked-storj",  # 411
    ):
        assert case_id in serve, case_id


@pytest.fixture(scope="module")
def serve_command_calls() -> dict[str, tuple[cc.Outcome, list[CliResult]]]:
    return _run(cc.serve_cli_outcomes())


@pytest.mark.parametrize("case_id", cc.SERVE_CLI_CASES)
def test_no_false_match_serve_command(
    case_id: str, serve_command_calls: dict[str, tuple[cc.Outcome, list[CliResult]]]
) -> None:
    assert case_id in serve_command_calls, "the scenario made no refused request"
    _check(*serve_command_calls[case_id])
