"""One comparison of two views of a signed request, as `sigkit diff` and `sigkit explain`
print it: the first difference of each step, the findings (most likely first) and a verdict.

The text ends with a one-line verdict; the JSON carries ``verdict`` ("match", "mismatch",
"no-data"), ``findings`` (cause, evidence, fix, certain) and ``differences``."""

from __future__ import annotations

import hmac
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sigkit.debug.compare import Difference, compare_steps
from sigkit.debug.diagnose import Verdict
from sigkit.debug.model import Finding, Observation
from sigkit.debug.sources import read_bounded, read_source
from sigkit.errors import InputError
from sigkit.http import Request
from sigkit.render import redact, redact_data
from sigkit.result import sensitive_values
from sigkit.verify import VerifyResult

STEPS = (
    ("canonical_request", "canonical request"),
    ("string_to_sign", "string to sign"),
    ("signature", "signature"),
)


def load(source: str, *, hint: str | None = None) -> list[Observation]:
    """Every observation in a file (``-`` for stdin) or a URL given as the argument itself;
    read size-bounded."""
    if source.startswith(("http://", "https://")) and not Path(source).exists():
        return read_source(source.encode("utf-8", "surrogateescape"), hint=hint, name="URL")
    if source == "-":
        data = read_bounded(sys.stdin.buffer, name="stdin")
        return read_source(data, hint=hint, name="stdin")
    try:
        with Path(source).open("rb") as stream:
            data = read_bounded(stream, name=source)
    except OSError as exc:
        raise InputError(source, exc.strerror or str(exc)) from None
    return read_source(data, hint=hint, name=source)


def _richness(obs: Observation) -> int:
    return (
        4 * bool(obs.canonical_request)
        + 2 * bool(obs.string_to_sign)
        + bool(obs.signature or obs.signature_provided)
    )


def pick(observations: list[Observation], *, party: str | None = None) -> Observation | None:
    """The first observation (of `party`, when given) showing the most signing steps."""
    pool = [o for o in observations if party is None or o.party == party]
    best: Observation | None = None
    for obs in pool:
        if best is None or _richness(obs) > _richness(best):
            best = obs
    return best


def signature_of(obs: Observation) -> str | None:
    """The signature this view holds: what the client sent, for a server's error body."""
    return obs.signature_provided or obs.signature


def _step(obs: Observation, name: str, other: Observation) -> str | None:
    if name == "signature":
        # A server's answer echoes the client's signature (SignatureProvided): set against the
        # client's own view that compares the client with itself, so only a signature the
        # server computed counts there. Against a recomputation it is what the client sent.
        echo = obs.party == "server" and other.party == "client"
        sig = obs.signature if echo else signature_of(obs)
        return sig.strip() if sig else None
    value = getattr(obs, name)
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Report:
    verdict: Verdict
    ours: Observation | None
    theirs: Observation | None
    compared: tuple[str, ...] = ()
    differences: tuple[Difference, ...] = ()
    findings: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()
    message: str = ""  # why there is no data, for a no-data verdict
    extra: dict[str, Any] = field(default_factory=dict)
    refusals: tuple[str, ...] = ()  # every source's evidence that the request was refused
    needs: tuple[str, ...] = ()  # what else sigkit would need to tell more
    server_time: str | None = None  # the server's time used for time checks, if known
    verification: VerifyResult | None = None  # the request as sent, checked as a server would

    def __repr__(self) -> str:
        """The verdict and causes only: the sources hold session tokens and signatures, and a
        repr ends up in tracebacks and logs (SigningRefused carries a Report)."""
        causes = ", ".join(f"{f.cause}{'' if f.certain else '?'}" for f in self.findings)
        return f"Report(verdict={self.verdict!r}, findings=[{causes}])"

    @property
    def exit_code(self) -> int:
        """0 match, 1 mismatch or refused, 2 nothing to compare (the input lacks what a
        comparison needs)."""
        return {"match": 0, "mismatch": 1, "refused": 1}.get(self.verdict, 2)

    def summary(self) -> str:
        """The one-line verdict printed last."""
        if self.verdict == "no-data":
            return f"verdict: no-data: nothing to compare ({self.message or 'no signing steps'})"
        if self.verdict == "refused":
            said = self.message or "the server refused the request"
            return f"verdict: refused: {said}; cause not determined"
        if self.verdict == "match":
            if not self.compared:
                return "verdict: match: the request verifies"
            return f"verdict: match: {', '.join(self.compared)} identical"
        where = ""
        if self.differences:
            first = self.differences[0]
            kind = first.kind.replace("_", " ")
            where = f" in the {kind}" + (f", {first.part}" if first.part != first.kind else "")
        top = self.findings[0] if self.findings else None
        cause = ""
        if top is not None:
            cause = f"{top.cause} (certain)" if top.certain else f"most likely {top.cause}"
        if not self.differences:
            fallback = "refused" if self.refusals else "the request does not verify"
            return f"verdict: mismatch: {cause or fallback}"
        cause = f"; {cause}" if cause else ""
        return f"verdict: mismatch: first difference{where}{cause}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "findings": [f.to_dict() for f in self.findings],
            "differences": [
                {
                    "kind": d.kind,
                    "part": d.part,
                    "line": d.line,
                    "column": d.column,
                    "byte": d.byte,
                    "ours": d.ours,
                    "theirs": d.theirs,
                    "note": d.note,
                }
                for d in self.differences
            ],
            "compared": list(self.compared),
            "ours": _obs_dict(self.ours),
            "theirs": _obs_dict(self.theirs),
            "notes": list(self.notes),
            "refusals": list(self.refusals),
            "needs": list(self.needs),
            "server_time": self.server_time,
            "verification": self.verification.to_dict() if self.verification else None,
            "message": self.message or None,
            "summary": self.summary(),
            **self.extra,
        }

    def sensitive(self, secrets: Iterable[str | None] = ()) -> tuple[str, ...]:
        """What its output must mask: `secrets` (the secret key, the session token given) and
        every session token the requests it shows carry."""
        return hidden_values(
            [o for o in (self.ours, self.theirs) if o is not None],
            self.verification.result.request
            if self.verification and self.verification.result
            else None,
            *secrets,
        )

    def render_json(self, *, secrets: Iterable[str | None] = (), show_secrets: bool = False) -> str:
        """The JSON document; secrets and session tokens masked unless `show_secrets`."""
        data = self.to_dict()
        if not show_secrets:
            data = redact_data(data, self.sensitive(secrets))
        return json.dumps(data, indent=2, ensure_ascii=False)

    def render_text(
        self,
        *,
        colour: bool = False,
        secrets: Iterable[str | None] = (),
        show_secrets: bool = False,
    ) -> str:
        """The text report; secrets and session tokens masked unless `show_secrets`."""
        text = self._text(colour)
        return text if show_secrets else redact(text, self.sensitive(secrets))

    def _text(self, colour: bool) -> str:
        def paint(text: str, *styles: str) -> str:
            if not colour:
                return text
            from pygments.console import colorize

            for style in styles:
                text = colorize(style, text)
            return text

        lines: list[str] = []
        for label, obs in (("ours", self.ours), ("theirs", self.theirs)):
            if obs is not None:
                where = f", {obs.where}" if obs.where else ""
                lines.append(f"{label}: {obs.source} ({obs.party}{where})")
        if self.compared:
            lines.append(f"compared: {', '.join(self.compared)}")
        if self.differences:
            first = self.differences[0]
            lines.append("")
            lines.append(paint(first.describe(), "yellow") if colour else first.describe())
            later = [d.kind.replace("_", " ") for d in self.differences[1:]]
            if later:
                lines.append(f"  (then the {' and '.join(later)} differ as a consequence)")
        elif self.compared:
            lines.append(paint("no difference", "green"))
        if self.findings:
            lines.append("")
            lines.append(paint("findings (most likely first):", "bold"))
            for f in self.findings:
                mark = " (certain)" if f.certain else ""
                evidence = f.evidence.replace("\n", "\n      ")  # a canonical request, indented
                lines.append(f"  [{paint(f.cause, 'bold')}]{mark} {evidence}")
                lines.append(f"    fix: {f.fix}")
                if f.detail:
                    lines.append(f"    here: {f.detail}")
        if self.refusals:
            lines.append("")
            lines.extend(f"refused: {r}" for r in self.refusals)
        if self.notes:
            lines.append("")
            lines.extend(f"note: {n}" for n in self.notes)
        if self.needs:
            lines.append("")
            lines.extend(f"to tell more: {n}" for n in self.needs)
        lines.append("")
        style = {"match": "green", "mismatch": "red", "refused": "red"}.get(self.verdict, "yellow")
        lines.append(paint(self.summary(), "bold", style))
        return "\n".join(lines) + "\n"


def hidden_values(
    observations: Iterable[Observation], request: Request | None = None, *secrets: str | None
) -> tuple[str, ...]:
    """The values a debugger's output masks (see `sigkit.render.redact`): the secrets given and
    the session tokens the observed requests carry (as headers or query parameters)."""
    found = {s for s in secrets if s}
    requests = [o.request for o in observations if o.request is not None]
    for req in [*requests, *([request] if request is not None else [])]:
        found.update(sensitive_values(req, None))
    return tuple(sorted(found))


def _obs_dict(obs: Observation | None) -> dict[str, Any] | None:
    if obs is None:
        return None
    return {
        "source": obs.source,
        "party": obs.party,
        "where": obs.where,
        "algorithm": obs.algorithm,
        "access_key_id": obs.access_key_id,
        "credential_scope": obs.credential_scope,
        "signed_headers": obs.signed_headers,
        "canonical_request": obs.canonical_request,
        "string_to_sign": obs.string_to_sign,
        "signature": signature_of(obs),
        "error_code": obs.error_code,
    }


def compare_views(
    ours: Observation, theirs: Observation
) -> tuple[Verdict, list[str], list[Difference]]:
    """Compare every step both views hold: the verdict, the steps compared and the first
    difference of each differing step (signatures in constant time)."""
    compared: list[str] = []
    differences: list[Difference] = []
    for name, label in STEPS:
        a, b = _step(ours, name, theirs), _step(theirs, name, ours)
        if a is None or b is None:
            continue
        compared.append(label)
        if name == "signature":
            if not hmac.compare_digest(a.encode(), b.encode()):
                diff = compare_steps(a, b, "text")
                if diff is not None:
                    differences.append(
                        Difference("signature", "signature", 1, diff.column, diff.byte, a, b)
                    )
            continue
        diff = compare_steps(a, b, name)
        if diff is not None:
            differences.append(diff)
    if not compared:
        return "no-data", compared, differences
    return ("mismatch" if differences else "match"), compared, differences
