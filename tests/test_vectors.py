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
        if result.algorithm == "sigv4a":
            assert result.status == "skipped"
            continue
        assert result.status == "passed", [f"{f.name}: {f.detail}" for f in result.failures]


def test_every_aws_c_auth_v4_variant_runs() -> None:
    results = run_suites([VECTORS / "aws-c-auth" / "v4"])
    assert len(results) == 76
    assert all(r.status == "passed" for r in results)


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
