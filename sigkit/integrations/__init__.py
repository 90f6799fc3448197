"""Sign requests made by other HTTP libraries, and explain their refusals.

- `sigkit.integrations.requests.SigV4Auth`: a ``requests`` auth object;
- `sigkit.integrations.httpx.SigV4Auth`: an ``httpx.Auth`` (sync and async clients);
- `sigkit.integrations.aiohttp.SigV4Middleware`: an aiohttp (3.12+) client middleware;
- `sigkit.integrations.boto3.explain_failures`: boto3/botocore errors that say why.

Each module imports its library when it is itself imported, and only then; the library is an
optional extra (``pip install 'sigkit[httpx]'``). Signing goes through sigkit's signers, the
rules through `rules_for` / `v2_rules`, and a refusal through `investigate`: nothing here signs
or diagnoses on its own. See docs/integrations.md.
"""

from __future__ import annotations

from sigkit.integrations._refusal import SigningRefused

__all__ = ["SigningRefused"]
