"""Every case variant in vectors/ must reproduce its expected files (data-driven).

Expected values come from aws-c-auth, the AWS documentation and botocore (see each suite's
README); sigkit never wrote them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sigkit.vectors import compare_signed_requests, find_cases, run_case, run_suites

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
CASES = find_cases([VECTORS])


def test_suites_are_present() -> None:
    names = {case.parent.name for case in CASES}
    assert {"v4", "v4a"} <= names
    assert len([c for c in CASES if c.parent.name == "v4"]) == 38


@pytest.mark.parametrize("case", CASES, ids=[str(c.relative_to(VECTORS)) for c in CASES])
def test_case(case: Path) -> None:
    results = list(run_case(case))
    for result in results:
        if result.status == "skipped":  # the two input-only v4a folders
            assert result.reason == "no expected files" and case.parent.name == "v4a"
            continue
        assert result.status == "passed", [f"{f.name}: {f.detail}" for f in result.failures]


def test_every_aws_c_auth_v4_variant_runs() -> None:
    results = run_suites([VECTORS / "aws-c-auth" / "v4"])
    assert len(results) == 76
    assert all(r.status == "passed" for r in results)


def test_every_aws_c_auth_v4a_variant_runs() -> None:
    results = run_suites([VECTORS / "aws-c-auth" / "v4a"])
    ran = [r for r in results if r.status != "skipped"]
    assert len(ran) == 76
    assert all(r.status == "passed" and r.algorithm == "sigv4a" for r in ran)
    skipped = sorted(Path(r.case).name for r in results if r.status == "skipped")
    assert skipped == ["get-vanilla-query-order-key", "get-vanilla-query-order-value"]


def _v4a_case(tmp_path: Path, name: str = "get-vanilla-with-session-token") -> Path:
    case = tmp_path / name
    shutil.copytree(VECTORS / "aws-c-auth" / "v4a" / name, case)
    return case


def _failures(case: Path) -> dict[str, set[str]]:
    return {r.variant: {f.name for f in r.failures} for r in run_case(case)}


def test_v4a_signature_that_does_not_verify_fails(tmp_path: Path) -> None:
    case = _v4a_case(tmp_path)
    # a valid signature, but of the other variant's string to sign
    (case / "query-signature.txt").write_text((case / "header-signature.txt").read_text())
    assert _failures(case) == {"header": set(), "query": {"signature"}}


def test_v4a_signature_in_signed_request_is_verified(tmp_path: Path) -> None:
    case = _v4a_case(tmp_path)
    path = case / "header-signed-request.txt"
    text = path.read_text()
    at = text.index("Signature=") + len("Signature=") + 20
    path.write_text(text[:at] + ("0" if text[at] != "0" else "1") + text[at + 1 :])
    assert _failures(case) == {"header": {"signed-request"}, "query": set()}


def test_v4a_signed_request_differences_outside_the_signature_fail(tmp_path: Path) -> None:
    case = _v4a_case(tmp_path)
    path = case / "query-signed-request.txt"
    path.write_text(path.read_text().replace("X-Amz-Expires=3600", "X-Amz-Expires=3601"))
    results = {r.variant: r for r in run_case(case)}
    assert results["header"].status == "passed"
    (failure,) = results["query"].failures
    assert failure.name == "signed-request" and "X-Amz-Expires" in failure.detail


def test_v4a_wrong_public_key_fails(tmp_path: Path) -> None:
    case = _v4a_case(tmp_path)
    # another valid P-256 key: aws-c-auth's fixed-credentials record
    other = {
        "X": "15d242ceebf8d8169fd6a8b5a746c41140414c3b07579038da06af89190fffcb",
        "Y": "0515242cedd82e94799482e4c0514b505afccf2c0c98d6a553bf539f424c5ec0",
    }
    (case / "public-key.json").write_text(json.dumps(other))
    failures = _failures(case)
    assert failures["header"] == {"public-key", "signature", "signed-request"}
    assert failures["query"] == {"public-key", "signature", "signed-request"}
    (case / "public-key.json").write_text('{"X": "01", "Y": "02"}')
    assert {f.name for r in run_case(case) for f in r.failures} == {"setup"}


def test_v4a_changed_string_to_sign_fails(tmp_path: Path) -> None:
    case = _v4a_case(tmp_path)
    path = case / "header-string-to-sign.txt"
    path.write_text(path.read_text().replace("20150830T", "20150831T", 1))
    assert _failures(case) == {"header": {"string-to-sign"}, "query": set()}


def test_a_changed_expectation_fails(tmp_path: Path) -> None:
    case = tmp_path / "get-vanilla"
    shutil.copytree(VECTORS / "aws-c-auth" / "v4" / "get-vanilla", case)
    sig = case / "header-signature.txt"
    sig.write_text(sig.read_text()[:-1] + "0")
    (result_header, result_query) = run_case(case)
    assert result_header.status == "failed"
    assert result_header.failures[0].name == "signature"
    assert result_query.status == "passed"


def test_broken_context_is_a_failure_not_a_crash(tmp_path: Path) -> None:
    case = tmp_path / "bad"
    shutil.copytree(VECTORS / "aws-c-auth" / "v4" / "get-vanilla", case)
    (case / "context.json").write_text("{not json")
    assert {r.status for r in run_case(case)} == {"failed"}
    context = json.loads((VECTORS / "aws-c-auth/v4/get-vanilla/context.json").read_text())
    context["region"] = ""
    (case / "context.json").write_text(json.dumps(context))
    failures = [f.detail for r in run_case(case) for f in r.failures]
    assert failures and all("region" in d for d in failures)


def test_signed_request_compare_is_order_free_but_value_exact() -> None:
    a = b"GET /?b=2&a=1 HTTP/1.1\nHost:h\nX-A:1\nX-B:2\n\n"
    b = b"GET /?a=1&b=2 HTTP/1.1\nx-b:2\nHost:h\nX-A:1\n\n"
    assert compare_signed_requests(a, b) is None
    c = b"GET /?a=1&b=2 HTTP/1.1\nx-b:2 \nHost:h\nX-A:1\n\n"
    assert compare_signed_requests(a, c) is not None
    assert compare_signed_requests(b"GET /?a HTTP/1.1\n\n", b"GET /?a= HTTP/1.1\n\n") is None


def test_signed_request_compare_can_mask_signatures() -> None:
    a = b"GET /?X-Amz-Signature=3045aa HTTP/1.1\nAuthorization:X Credential=A, Signature=30aa\n\n"
    b = b"GET /?X-Amz-Signature=3046bb HTTP/1.1\nAuthorization:X Credential=A, Signature=30bb\n\n"
    assert compare_signed_requests(a, b) is not None
    assert compare_signed_requests(a, b, mask_signature=True) is None
    c = b.replace(b"Credential=A", b"Credential=B")
    assert compare_signed_requests(a, c, mask_signature=True) is not None


def test_the_command_names_every_skipped_case(capsys: pytest.CaptureFixture[str]) -> None:
    """`SKIP 2: ...` is followed by the two cases it counts, one per line."""
    from sigkit.cli.app import main

    suite = Path(__file__).resolve().parent.parent / "vectors" / "aws-c-auth" / "v4a"
    assert main(["vectors", str(suite)]) == 0
    lines = capsys.readouterr().out.splitlines()
    at = lines.index("SKIP 2: no expected files")
    assert [Path(line.strip()).name for line in lines[at + 1 : at + 3]] == [
        "get-vanilla-query-order-key",
        "get-vanilla-query-order-value",
    ]
    assert all(line.startswith("  ") for line in lines[at + 1 : at + 3])
