"""The catalogued causes RGW refuses, made by the same real clients against Ceph RGW.

The cases of `tests.e2e.causes_cases.CASES` marked ``rgw``, sent through the recording relay to
the real S3 server. RGW's refusal (``refused``) shows the fault reproduces on a real server;
RGW accepts any region (so the region and service cases are serve's alone) and its error bodies
carry no StringToSign or CanonicalRequest, so the cause must come from the request as received
(``verify`` with RGW's region and service) and from the client's log holding RGW's answer
(``explain-log``). A path a case leaves out is one no source shows (the case's ``note``).
"""

from __future__ import annotations

import pytest

from tests.e2e import causes_cases as cc

pytestmark = pytest.mark.e2e


def _params(kind: str) -> list[object]:
    out = []
    for case in cc.CASES:
        if not case.rgw:
            continue
        if kind == "refused":
            out.append(pytest.param(case.id, id=f"{case.id}-refused"))
        else:
            out += [pytest.param(case.id, p, id=f"{case.id}-{p}") for p in case.rgw_paths]
    return out


@pytest.fixture(scope="module")
def rgw_run(s3server: dict[str, str]) -> tuple[dict[str, cc.Outcome], cc.PathResults]:
    env = cc.rgw_env(s3server)
    outcomes = {o.case.id: o for o in cc.rgw_outcomes(*env)}
    return outcomes, cc.rgw_paths(*env)


@pytest.mark.parametrize("case_id", _params("refused"))
def test_rgw_refuses(case_id: str, rgw_run: tuple[dict[str, cc.Outcome], cc.PathResults]) -> None:
    outcome = rgw_run[0][case_id]
    assert outcome.refused is not None, outcome.describe()


@pytest.mark.parametrize(("case_id", "path"), _params("paths"))
def test_cause_named_rgw(
    case_id: str, path: str, rgw_run: tuple[dict[str, cc.Outcome], cc.PathResults]
) -> None:
    outcomes, results = rgw_run
    cc.check_path(outcomes[case_id], path, results)
