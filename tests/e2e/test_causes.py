"""Every catalogued cause, made by a real client against `sigkit serve`, named first on every path.

Each case in `tests.e2e.causes_cases.CASES` makes a refused request with a real client
(botocore's client stack, the AWS CLI v1, curl 7.88, the docs' openssl recipe, or a raw socket
where no client makes the fault) through a recording relay to an in-process `sigkit serve`
endpoint that knows its region and service (us-east-1, s3), its credentials (with a session
token for the token cases) and its clock (40 minutes ahead for the server-clock case). The
paths, the last part of each test id:

- ``verify``: the exact bytes the server received, through ``sigkit verify FILE --access-key
  --secret-key [--session-token] --region --service --now --json``: ``findings[0].cause``.
- ``serve-xml``: serve's XML answer: ``<Cause>`` holds the cause id and ``<Message>`` holds S3's
  sentence followed by ``sigkit: <cause> (certain|likely): ...``; serve's log line (JSON) for
  that request id names the cause and whether it is certain; for some AWS CLI cases, the CLI's
  error line shows the cause too.
- ``explain-log``: the client's failed log with the server's answer in it (botocore / AWS CLI
  debug log, curl -v output; for a raw socket the bytes sent with ``--also`` the answer) through
  ``sigkit explain LOG --secret-key --json``: ``findings[0].cause``.

A path a case leaves out is one that no source can see from that vantage point (the case's
``note`` says why); every cause is covered on every path by some case (tested below).
"""

from __future__ import annotations

import pytest

from sigkit.debug.causes import IDS
from tests.e2e import causes_cases as cc

PATHS = ("verify", "serve-xml", "explain-log")


def _params() -> list[object]:
    return [
        pytest.param(case.id, path, id=f"{case.id}-{path}")
        for case in cc.CASES
        if case.serve is not None
        for path in case.paths
    ]


@pytest.fixture(scope="module")
def serve_run() -> tuple[dict[str, cc.Outcome], cc.PathResults]:
    outcomes = {o.case.id: o for o in cc.serve_outcomes()}
    return outcomes, cc.serve_paths()


@pytest.mark.parametrize(("case_id", "path"), _params())
def test_cause_named(
    case_id: str, path: str, serve_run: tuple[dict[str, cc.Outcome], cc.PathResults]
) -> None:
    outcomes, results = serve_run
    cc.check_path(outcomes[case_id], path, results)


def test_every_cause_has_a_case() -> None:
    """Adding a cause to the registry needs a case here (and the reverse)."""
    assert {case.cause for case in cc.CASES} == set(IDS)


def test_every_cause_on_every_path() -> None:
    """Each cause is named on each path by at least one case, against serve or RGW."""
    missing = []
    for cause in IDS:
        seen = set()
        for case in cc.CASES:
            if case.cause == cause:
                seen |= set(case.paths) if case.serve else set()
                seen |= set(case.rgw_paths) if case.rgw else set()
        missing += [f"{cause}:{path}" for path in PATHS if path not in seen]
    assert not missing


def test_case_ids_unique() -> None:
    ids = [case.id for case in cc.CASES]
    assert len(ids) == len(set(ids))


@pytest.fixture(scope="module")
def serve_cli_run() -> tuple[dict[str, cc.Outcome], cc.PathResults]:
    outcomes = {o.case.id: o for o in cc.serve_cli_outcomes()}
    return outcomes, cc.serve_cli_paths()


def _cli_params() -> list[object]:
    by_id = {case.id: case for case in cc.CASES}
    return [
        pytest.param(case_id, path, id=f"serve-command-{case_id}-{path}")
        for case_id in cc.SERVE_CLI_CASES
        for path in by_id[case_id].paths
    ]


@pytest.mark.parametrize(("case_id", "path"), _cli_params())
def test_cause_named_by_serve_command(
    case_id: str, path: str, serve_cli_run: tuple[dict[str, cc.Outcome], cc.PathResults]
) -> None:
    """The same, against `sigkit serve --region us-east-1 --service s3 --json` started as a
    command (its log lines read from its output)."""
    outcomes, results = serve_cli_run
    cc.check_path(outcomes[case_id], path, results)
