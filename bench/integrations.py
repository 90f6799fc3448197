#!/usr/bin/env python3
"""Per-request overhead of the HTTP adapters, and what explain_failures costs a correct client.

Each library sends to a transport that answers at once, so that what is timed is the library's
own request path plus the signing, not a network:

- requests: a ``Session`` whose adapter returns a canned 200 (no socket; ``trust_env`` off, so
  that the unsigned baseline does not read ~/.netrc on every request);
- httpx: a ``Client`` over ``httpx.MockTransport``;
- aiohttp: the middleware called with a built ``ClientRequest`` and a handler that returns at
  once (the session's connection machinery is left out for every row alike).

For each library the row "no auth" is the baseline; every other row's overhead is its time
minus the baseline, in µs per request. Signers compared through the same client: sigkit's
adapter, requests-aws4auth and aws-requests-auth (requests only), and botocore's own
``S3SigV4Auth`` called from a minimal auth object (each signs the request the library built,
with its SigV4 S3 rules, a 5-byte PUT body hashed).

explain_failures: ``put_object`` through a boto3 client whose requests are answered by a
``before-send`` handler (botocore's own stubbing point, after signing): µs per call with and
without ``explain_failures`` on the client.

    python bench/integrations.py            # Markdown table
    python bench/integrations.py --json     # rows as JSON
    python bench/integrations.py --quick    # fewer repeats
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import time
from collections.abc import Callable
from typing import Any

from sigkit.credentials import Credentials

KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
URL = (
    "https://examplebucket.s3.us-east-1.amazonaws.com/photos/2026/cat%20picture.jpg?x-id=PutObject"
)
BODY = b"hello"
REGION = "us-east-1"


def interleaved(
    library: str, calls: dict[str, Callable[[], object]], number: int, repeat: int
) -> list[tuple[str, str, float]]:
    """Best µs per call of each candidate over `repeat` rounds of `number` calls, the
    candidates taking turns in every round (so that a busy machine slows them alike). CPU
    time of this process (``time.process_time``): nothing here waits, and other processes'
    load does not count."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    for fn in calls.values():
        fn()  # warm
    gc.collect()
    for _ in range(repeat):
        for name, fn in calls.items():
            start = time.process_time()
            for _ in range(number):
                fn()
            times[name].append((time.process_time() - start) / number)
    return [(library, name, min(t) * 1e6) for name, t in times.items()]


# -- requests ---------------------------------------------------------------------------------
def requests_rows(number: int, repeat: int) -> list[tuple[str, str, float]]:
    import requests
    from requests.adapters import BaseAdapter
    from requests.auth import AuthBase
    from requests.structures import CaseInsensitiveDict

    from sigkit.integrations.requests import SigV4Auth

    class Canned(BaseAdapter):
        def send(self, request: Any, **kwargs: Any) -> Any:
            response = requests.Response()
            response.status_code = 200
            response._content = b""
            response.headers = CaseInsensitiveDict()
            response.request = request
            return response

        def close(self) -> None:
            pass

    class Botocore(AuthBase):
        """botocore's own signer over the prepared request."""

        def __init__(self) -> None:
            from botocore.auth import S3SigV4Auth
            from botocore.credentials import Credentials as BotoCredentials

            self.auth = S3SigV4Auth(BotoCredentials(KEY, SECRET), "s3", REGION)

        def __call__(self, r: Any) -> Any:
            from botocore.awsrequest import AWSRequest

            request = AWSRequest(method=r.method, url=r.url, data=r.body, headers=dict(r.headers))
            request.context["payload_signing_enabled"] = True
            self.auth.add_auth(request)
            r.headers.update(request.headers)
            return r

    auths: dict[str, Any] = {
        "no auth": None,
        "sigkit SigV4Auth": SigV4Auth("s3", REGION, credentials=Credentials(KEY, SECRET)),
    }
    try:
        from requests_aws4auth import AWS4Auth

        auths["requests-aws4auth"] = AWS4Auth(KEY, SECRET, REGION, "s3")
    except ImportError:
        pass
    try:
        from aws_requests_auth.aws_auth import AWSRequestsAuth

        auths["aws-requests-auth"] = AWSRequestsAuth(
            KEY, SECRET, "examplebucket.s3.us-east-1.amazonaws.com", REGION, "s3"
        )
    except ImportError:
        pass
    auths["botocore S3SigV4Auth"] = Botocore()
    session = requests.Session()
    session.trust_env = False  # no ~/.netrc look-up for the unsigned baseline
    session.mount("https://", Canned())
    calls = {
        name: (lambda auth=auth: session.put(URL, data=BODY, auth=auth))
        for name, auth in auths.items()
    }
    return interleaved("requests", calls, number, repeat)


# -- httpx ------------------------------------------------------------------------------------
def httpx_rows(number: int, repeat: int) -> list[tuple[str, str, float]]:
    import httpx

    from sigkit.integrations.httpx import SigV4Auth

    class Botocore(httpx.Auth):
        def __init__(self) -> None:
            from botocore.auth import S3SigV4Auth
            from botocore.credentials import Credentials as BotoCredentials

            self.auth = S3SigV4Auth(BotoCredentials(KEY, SECRET), "s3", REGION)

        def auth_flow(self, request: httpx.Request) -> Any:
            from botocore.awsrequest import AWSRequest

            aws = AWSRequest(
                method=request.method,
                url=str(request.url),
                data=request.content,
                headers=dict(request.headers),
            )
            aws.context["payload_signing_enabled"] = True
            self.auth.add_auth(aws)
            request.headers.update(dict(aws.headers))
            yield request

    client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200)))
    auths: dict[str, Any] = {
        "no auth": None,
        "sigkit SigV4Auth": SigV4Auth("s3", REGION, credentials=Credentials(KEY, SECRET)),
        "botocore S3SigV4Auth": Botocore(),
    }
    calls = {
        name: (lambda auth=auth: client.put(URL, content=BODY, auth=auth))
        for name, auth in auths.items()
    }
    return interleaved("httpx", calls, number, repeat)


# -- aiohttp ----------------------------------------------------------------------------------
def aiohttp_rows(number: int, repeat: int) -> list[tuple[str, str, float]]:
    from aiohttp.client_reqrep import ClientRequest
    from yarl import URL as YURL

    from sigkit.integrations.aiohttp import SigV4Middleware

    async def handler(req: Any) -> Any:
        return req

    async def none(req: Any, next_handler: Any) -> Any:
        return await next_handler(req)

    async def botocore_mw(req: Any, next_handler: Any) -> Any:
        from botocore.awsrequest import AWSRequest

        aws = AWSRequest(method=req.method, url=str(req.url), data=BODY, headers=dict(req.headers))
        aws.context["payload_signing_enabled"] = True
        boto_auth.add_auth(aws)
        for name, value in aws.headers.items():
            req.headers[name] = value
        return await next_handler(req)

    from botocore.auth import S3SigV4Auth
    from botocore.credentials import Credentials as BotoCredentials

    boto_auth = S3SigV4Auth(BotoCredentials(KEY, SECRET), "s3", REGION)
    middlewares: dict[str, Any] = {
        "no auth": none,
        "sigkit SigV4Middleware": SigV4Middleware(
            "s3", REGION, credentials=Credentials(KEY, SECRET)
        ),
        "botocore S3SigV4Auth": botocore_mw,
    }
    url = YURL(URL, encoded=True)
    loop = asyncio.new_event_loop()

    async def one(mw: Any) -> None:
        req = ClientRequest("PUT", url, data=BODY, loop=loop)
        await mw(req, handler)

    calls = {
        name: (lambda mw=mw: loop.run_until_complete(one(mw))) for name, mw in middlewares.items()
    }
    try:
        return interleaved("aiohttp", calls, number, repeat)
    finally:
        loop.close()


# -- boto3 explain_failures ---------------------------------------------------------------------
def boto3_rows(number: int, repeat: int) -> list[tuple[str, str, float]]:
    import boto3
    from botocore.awsrequest import AWSResponse

    from sigkit.integrations.boto3 import explain_failures

    class Raw:
        def stream(self, **kwargs: Any) -> Any:
            yield b""

    def answer(request: Any, **kwargs: Any) -> Any:
        return AWSResponse(request.url, 200, {"ETag": '"x"'}, Raw())

    def client() -> Any:
        c = boto3.client(
            "s3", region_name=REGION, aws_access_key_id=KEY, aws_secret_access_key=SECRET
        )
        c.meta.events.register("before-send", answer)
        return c

    plain, explained = client(), explain_failures(client())
    calls = {
        name: (lambda c=c: c.put_object(Bucket="examplebucket", Key="k", Body=BODY))
        for name, c in (("boto3 client", plain), ("boto3 client + explain_failures", explained))
    }
    return interleaved("boto3", calls, max(number // 10, 30), repeat * 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quick", action="store_true")
    options = parser.parse_args()
    number, repeat = (300, 3) if options.quick else (2000, 7)
    rows = (
        requests_rows(number, repeat)
        + httpx_rows(number, repeat)
        + aiohttp_rows(number, repeat)
        + boto3_rows(number, repeat)
    )
    base = {lib: us for lib, name, us in rows if name in ("no auth", "boto3 client")}
    out = [
        {
            "library": lib,
            "signer": name,
            "us_per_request": round(us, 1),
            "overhead_us": round(us - base[lib], 1),
        }
        for lib, name, us in rows
    ]
    if options.json:
        print(json.dumps({"rows": out}, indent=2))
        return
    print("| client | signer | µs / request | overhead µs |")
    print("|---|---|---:|---:|")
    for row in out:
        print(
            f"| {row['library']} | {row['signer']} | {row['us_per_request']:.1f} | "
            f"{row['overhead_us']:.1f} |"
        )


if __name__ == "__main__":
    main()
