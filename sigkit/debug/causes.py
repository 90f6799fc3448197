"""The cause registry: every reason a signed request is refused, declared once.

Each `Cause` holds its stable id, a title, the one fix text, what a server answers when it is
the cause (error codes and message fragments), how sigkit recognises it (for the docs) and an
example. Everything that names a cause — verify, serve, explain, diff, the JSON, the docs —
reads it from here; the detectors (`sigkit.debug.diagnose`, `sigkit.debug.investigate`,
`sigkit.verify`) and the variant generators (`sigkit.debug.variants`) emit only ids.
`docs/causes.md` is generated from this table (`python -m sigkit.debug.causes`), and a test
keeps it current.

Ids are stable: add new ones, never rename one.
"""

from __future__ import annotations

import sys
from collections.abc import Collection
from dataclasses import dataclass


@dataclass(frozen=True)
class Cause:
    """One cause of a refusal."""

    id: str
    title: str
    fix: str
    recognised: str  # how sigkit recognises it, one or two sentences (docs)
    example: str  # a short, concrete example of the slip
    # What a server answers when this is the cause: (error code, lower-case fragment of its
    # message); "" matches anything, both parts must match.
    answers: tuple[tuple[str, str], ...] = ()
    variants: str = ""  # which variants the search tries for it (docs); "" when none
    # Answers that point at this cause only when the request shows a trait (a name from
    # `sigkit.debug.integrity.TRAITS`): (error code, fragment, trait). The same answer to a
    # request without the trait means something else (XAmzContentSHA256Mismatch is also a
    # body that changed after signing), so it is certain only with the request in view.
    given: tuple[tuple[str, str, str], ...] = ()


REGISTRY: tuple[Cause, ...] = (
    Cause(
        "wrong-secret",
        "The two sides use different secret keys",
        "check that client and server use the same secret for this access key id; when they "
        "do, compare the canonical requests (sigkit explain with the server's answer) to find "
        "what else differs",
        "Every signed step is identical and only the signature differs, or no catalogued "
        "variant reproduces the client's signature with the secret given (then uncertain).",
        "AWS_SECRET_ACCESS_KEY of another account, or a rotated key on one side only.",
    ),
    Cause(
        "secret-whitespace",
        "The secret carries surrounding whitespace or a line break",
        "re-copy the secret without surrounding spaces or line breaks (strip it where it is "
        "read: a file, an environment variable, a password manager)",
        "The client's signature is reproduced by the secret with a trailing newline, CR LF, "
        "space or with its whitespace removed.",
        "`export AWS_SECRET_ACCESS_KEY=$(cat secret.txt)` where the file ends in CR LF.",
        variants="the secret with a trailing LF, CR, CR LF, space or tab, a leading space, in "
        "double or single quotes, stripped of whitespace or of quotes",
    ),
    Cause(
        "unknown-access-key",
        "The server does not know the access key id",
        "use an access key id that exists on this endpoint (keys of one store or account are "
        "not valid on another); an ASIA… key also needs its session token",
        "The server answered InvalidAccessKeyId, or the key is not among the credentials "
        "sigkit verifies with.",
        "An AWS key sent to a MinIO or Ceph endpoint.",
        answers=(("InvalidAccessKeyId", ""), ("", "access key id you provided does not exist")),
    ),
    Cause(
        "unsigned-header",
        "A header was sent but not signed, or signed but not sent",
        "sign every x-amz-* header that is sent (S3 refuses unsigned ones), and no header "
        "that a client or proxy adds or drops later (user-agent, amz-sdk-*)",
        "An x-amz-* header on the request is missing from SignedHeaders; the server listed it "
        "in HeadersNotSigned; or the signature is reproduced with one header more or less "
        "in the signed set.",
        "x-amz-meta-color added by a later middleware after the request was signed.",
        answers=(("", "headers present in the request which were not signed"),),
        variants="without SignedHeaders on the request: each sent header left out of, or added "
        "to, the signed set; with it: each signed header that was not sent, with a "
        "guessed value (Content-Type: the common types; Content-MD5, Content-Length and "
        "x-amz-content-sha256 from the body; Expect empty or 100-continue), alone or "
        "with another payload line (curl 7.88 -T -H 'Expect:'); V2: each x-amz-* header "
        "left out",
    ),
    Cause(
        "header-changed",
        "A signed header's value changed after signing",
        "set every header before signing and keep proxies and HTTP stacks from rewriting "
        "signed headers (charset appended, case or whitespace changed, Host rewritten), or "
        "sign fewer headers",
        "The canonical header lines differ between the two sides, or the signature is "
        "reproduced with a header value as an HTTP stack commonly rewrites it.",
        "Content-Type: text/plain signed, `text/plain; charset=utf-8` sent by the HTTP library.",
        variants="each signed header value as a transport rewrites it: Content-Type without its "
        "charset, or with '; charset=utf-8' / ';charset=UTF-8'; lower case; spacing "
        "around ';' and ',' changed; inner whitespace unfolded; one value of a header "
        "sent twice; Host in lower case (SigV4, and the V2 x-amz-* lines)",
    ),
    Cause(
        "content-type-md5",
        "S3 V2: the Content-Type or Content-MD5 line differs from what is sent",
        "sign exactly the Content-Type and Content-MD5 that are sent (an empty line when the "
        "header is not sent); curl -d adds Content-Type: application/x-www-form-urlencoded",
        "The V2 string to sign's Content-Type/Content-MD5 line differs, or the signature is "
        "reproduced with that line blank, missing or holding another common type.",
        "The docs' openssl recipe puts `application/octet-stream` in STRING_TO_SIGN, but curl "
        "sends no Content-Type.",
        variants="V2: the Content-Type line as the header was before a transport rewrote it "
        "(without its charset, or with another), blank (the header added after signing, "
        "as curl -d adds it) or holding a common type (application/octet-stream, text/plain, "
        "application/x-www-form-urlencoded, application/json, binary/octet-stream, "
        "application/xml); the Content-MD5 line blank, or the body's MD5 when none is "
        "sent",
    ),
    Cause(
        "query-encoding",
        "The query was encoded differently on the two sides",
        "percent-encode query names and values before sending (space as %20, plus as %2B) "
        "and sign exactly the bytes sent",
        "The canonical queries differ only in encoding, or the signature is reproduced with "
        "'+' read as %2B instead of a space, the query signed as sent, or encoded twice.",
        "curl 7.88 `--aws-sigv4` with `?prefix=a+b`: curl signs `prefix=a+b` as sent, S3 reads "
        "a space.",
        variants="'+' read as a space or as %2B; the query signed exactly as sent (curl before "
        "8.3), alone, with the path as sent, with another payload line (curl 7.88 -T) "
        "or both; each pair kept as sent but sorted (botocore given a raw URL); the query "
        "encoded twice; %2B decoded, then read as a space (curl 8 before 8.19)",
    ),
    Cause(
        "path-encoding",
        "The path was encoded differently on the two sides",
        "encode the path as the service expects: once for S3, twice for every other service; "
        "send reserved characters percent-encoded (a raw '+' in an S3 key is '+', not a space)",
        "The canonical URIs differ only in encoding, or the signature is reproduced with the "
        "path encoded once instead of twice (or back), normalised, decoded, or signed as sent.",
        "botocore's SigV4Auth (double encoding) used for S3 on a key with a space.",
        variants="encoded once instead of twice (or back), normalised (or not), signed decoded, "
        "signed exactly as sent (curl before 8.9), alone or with another payload line (curl "
        "7.88 -T), a raw '+' read as a space or as %2B",
    ),
    Cause(
        "query-order",
        "The query parameters were signed in another order",
        "sort query parameters by encoded name, then encoded value; keep repeated names as "
        "separate pairs",
        "The canonical queries hold the same pairs in another order, or the signature is "
        "reproduced with the query unsorted as sent.",
        "A hand-written signer that joins the query in the caller's order.",
        variants="the query in the order sent, each pair encoded",
    ),
    Cause(
        "empty-query-value",
        "A query parameter without a value was signed without '='",
        "sign an empty value as 'name=' in SigV4 (but '?acl' without '=' in the V2 resource)",
        "One side's canonical query holds 'acl' where the other has 'acl=', or the signature "
        "is reproduced with valueless parameters signed bare.",
        "`?acl` signed as `acl` instead of `acl=`.",
        variants="parameters sent without '=' signed bare ('acl', not 'acl=')",
    ),
    Cause(
        "query-not-sent",
        "A signed query parameter is not on the request (or one was added after signing)",
        "sign and send the same URL: every signed query parameter on the request line, and "
        "nothing appended after signing",
        "The canonical queries hold different parameter names, or the signature is reproduced "
        "with a sent parameter left out.",
        "`?list-type=2` signed, the request sent without a query.",
        variants="each sent query parameter left out (added after signing); a common parameter "
        "signed but not sent (list-type=2, x-id=GetObject or PutObject, acl, uploads, "
        "versioning, location, tagging, delete, policy, cors, lifecycle, versions; V2: "
        "the bare ones as sub-resources)",
    ),
    Cause(
        "host-port",
        "The Host was signed with another port (or without one)",
        "sign exactly the Host header sent: a non-default port included, a default port only "
        "when the client writes it; reverse proxies must pass the original Host ($http_host)",
        "The host lines differ only in the port, or the signature is reproduced with the "
        "port added, dropped or changed.",
        "Signed for minio:9000, sent through a proxy as Host: minio.",
        variants="the port dropped, the scheme's default port added, ports 80, 443, 8080, 8000, "
        "9000 and 7480",
    ),
    Cause(
        "addressing-style",
        "S3 V2: the bucket is missing from (or doubled in) the signed resource",
        "build the V2 resource as /bucket/key whether the bucket is in the host "
        "(virtual-hosted) or the path",
        "The V2 resource lines differ by the bucket, or the signature is reproduced with the "
        "other addressing style.",
        "A virtual-hosted request signed with the resource /key.",
        variants="V2: the resource built with virtual-hosted or with path addressing, the "
        "bucket left out of it or written twice",
    ),
    Cause(
        "region",
        "The credential scope names another region",
        "sign with the bucket's or endpoint's region (us-east-1 for the global endpoint, "
        "'auto' for R2; the server's answer names the one it expects)",
        "The scope's region is not the server's (AuthorizationHeaderMalformed naming the "
        "region), or the signature verifies under another region than the server's.",
        "A bucket in eu-west-1 signed for us-east-1.",
        answers=(
            ("AuthorizationHeaderMalformed", "region"),
            ("AuthorizationQueryParametersError", "region"),
            ("PermanentRedirect", ""),
            ("IllegalLocationConstraintException", ""),
            ("InvalidRegion", ""),
            ("", "credential should be scoped to a valid region"),
        ),
        variants="when the request shows no scope: the region read from the host "
        "(bucket.s3.<region>.amazonaws.com, s3-<region>, s3.dualstack.<region>, "
        "*.r2.cloudflarestorage.com: auto, storage.yandexcloud.net: ru-central1, "
        "s3.<region>.<provider>), then common regions",
    ),
    Cause(
        "service",
        "The credential scope names another service",
        "sign with the service's signing name (s3, execute-api, es, aoss, lambda ...)",
        "The scope's service is not the server's, or the signature verifies under another service.",
        "An API Gateway request signed for 'apigateway' instead of 'execute-api'.",
        answers=(
            ("AuthorizationHeaderMalformed", "service"),
            ("AuthorizationQueryParametersError", "incorrect service"),
            ("", "credential should be scoped to correct service"),
        ),
        variants="when the request shows no scope: the service read from the host (alone, and "
        "with the host's region), then s3, execute-api, es, aoss, lambda, sts, sqs, "
        "dynamodb",
    ),
    Cause(
        "clock-skew",
        "The request was signed too far from the server's time",
        "synchronise the client's clock (NTP; WSL2 and Docker Desktop drift after sleep) and "
        "sign just before sending; S3 allows 15 minutes",
        "X-Amz-Date (or the V2 Date) is more than 15 minutes from the server's time: --now, "
        "the response's Date header or the error body's ServerTime.",
        "A laptop clock 40 minutes behind, or a request signed and sent much later.",
        answers=(
            ("RequestTimeTooSkewed", ""),
            ("", "difference between the request time and the current time is too large"),
            ("", "signature expired"),
            ("", "signature not yet current"),
        ),
        variants="when neither a scope nor X-Amz-Date is on the request: every signing second "
        "within 15 minutes of the server's time",
    ),
    Cause(
        "expired",
        "The presigned URL has expired",
        "presign again and use the URL within its X-Amz-Expires (or Expires) lifetime",
        "X-Amz-Date + X-Amz-Expires (V2: Expires) is before the server's time, or the server "
        "answered 'Request has expired'.",
        "A URL presigned for 60 s used ten minutes later.",
        answers=(("AccessDenied", "request has expired"), ("", "request has expired")),
    ),
    Cause(
        "expires-too-long",
        "The presigned URL asks for a lifetime S3 does not allow",
        "presign with X-Amz-Expires of at most 604800 s (7 days); temporary credentials end "
        "sooner (Yandex Object Storage allows 30 days)",
        "X-Amz-Expires is above 604800 or not a positive number.",
        "`aws s3 presign --expires-in 1209600`.",
        answers=(
            ("AuthorizationQueryParametersError", "less than a week"),
            ("AuthorizationQueryParametersError", "x-amz-expires should be a number"),
            ("AuthorizationQueryParametersError", "x-amz-expires must be non-negative"),
        ),
    ),
    Cause(
        "scope-date",
        "The credential scope date is not X-Amz-Date's day",
        "take the scope date from the same UTC timestamp as X-Amz-Date (not the local date)",
        "The scope's date differs from the first eight digits of X-Amz-Date, or the signature "
        "is reproduced with a key derived for the previous or next day.",
        "A scope built from the local date just after midnight in UTC+2.",
        answers=(
            ("AuthorizationHeaderMalformed", "invalid credential date"),
            ("AuthorizationQueryParametersError", "invalid credential date"),
            ("", "credential should be scoped to a valid date"),
        ),
        variants="the key derived for the previous or next day while the scope says X-Amz-Date's "
        "day; when the request shows no scope, the whole scope a day off",
    ),
    Cause(
        "payload-hash",
        "The payload hash signed is not the one the server uses",
        "hash the exact body sent, or send UNSIGNED-PAYLOAD only where the service accepts it; "
        "the x-amz-content-sha256 header must equal the signed payload line",
        "The canonical requests' last lines differ, or the signature is reproduced with the "
        "empty-body hash, UNSIGNED-PAYLOAD or the body's hash.",
        "curl 7.88 `-T file` signs the empty-body hash while sending a body.",
        answers=(("InvalidRequest", "missing required header for this request: x-amz-content"),),
        variants="the empty-body hash, UNSIGNED-PAYLOAD, the body's hash",
    ),
    Cause(
        "body-changed",
        "The body sent is not the body whose hash was signed",
        "sign the exact bytes sent: serialise the body once, and keep proxies from "
        "re-encoding or decompressing it",
        "The server answered XAmzContentSHA256Mismatch, or the body sent does not hash to the "
        "signed x-amz-content-sha256.",
        "A JSON body re-serialised with other whitespace after signing.",
        answers=(("XAmzContentSHA256Mismatch", ""), ("BadDigest", ""), ("IncompleteBody", "")),
    ),
    Cause(
        "session-token",
        "The session token is missing, wrong or unsigned",
        "send X-Amz-Security-Token with temporary (ASIA…) credentials and include it in "
        "SignedHeaders (or the presigned query)",
        "An ASIA… key without a token, the server answered InvalidToken or listed "
        "x-amz-security-token in HeadersNotSigned, or the signature is reproduced with the "
        "token left out of the signed set.",
        "AWS_SESSION_TOKEN not exported next to the STS key pair.",
        answers=(
            ("InvalidToken", ""),
            ("ExpiredToken", ""),
            ("TokenRefreshRequired", ""),
            ("", "security token included in the request is invalid"),
        ),
        variants="the token sent but left out of the signed set (when the request shows no "
        "SignedHeaders); X-Amz-Security-Token appended to a presigned URL after "
        "signing; V2: the token not among the x-amz-* lines",
    ),
    Cause(
        "v2-subresource",
        "S3 V2: a sub-resource or response-* override is missing from the signed resource",
        "sign the documented sub-resources (acl, uploadId, partNumber, versionId, delete, "
        "response-content-type ...) sorted, with decoded values",
        "The V2 resource lines differ in their query part, or the signature is reproduced "
        "with a sub-resource left out, added or encoded differently.",
        "`GET /bucket?acl` signed with the resource /bucket.",
        variants="each sub-resource left out, all left out, the response-* overrides left out, "
        "query parameters that are no sub-resource included (all, or each), values "
        "signed as sent (not decoded), sub-resources in the order sent, '+' read "
        "differently",
    ),
    Cause(
        "signature-version",
        "The client signed with another signature version than the request claims",
        "use the signature version the endpoint expects (SigV4: signature_version = s3v4)",
        "A V2-shaped signature in a SigV4 header (or the reverse), or the two strings to sign "
        "are of different versions.",
        "An HMAC-SHA1 base64 signature in an AWS4-HMAC-SHA256 header.",
        # S3's answer to a V2 signature in a region that takes SigV4 only (every region opened
        # since 2014): "The authorization mechanism you have provided is not supported.
        # Please use AWS4-HMAC-SHA256."
        answers=(("InvalidRequest", "authorization mechanism you have provided is not supported"),),
    ),
    Cause(
        "method",
        "The request was sent with another method than it was signed for",
        "send the request with the method it was signed for (a presigned GET URL cannot PUT)",
        "The canonical requests' first lines differ, or the signature is reproduced with "
        "another method.",
        "A presigned GET URL used with curl -X PUT.",
        variants="signed for GET, PUT, HEAD, POST or DELETE (a presigned GET URL used with PUT)",
    ),
    Cause(
        "v2-date",
        "S3 V2: the Date line is missing or not the one sent",
        "send an HTTP date in Date or x-amz-date; with x-amz-date the Date line is empty; "
        "presigned V2 uses the Expires epoch",
        "No Date or x-amz-date is sent, the V2 strings to sign differ in the date line, or the "
        "signature is reproduced with the Date line filled although x-amz-date is sent.",
        "A proxy adds x-amz-date after a V2 client signed with Date.",
        answers=(("AccessDenied", "requires a valid date or x-amz-date"),),
        variants="the Date line holding x-amz-date's (or Date's) value although x-amz-date is "
        "sent, with or without x-amz-date among the x-amz-* lines; the Date line empty "
        "and x-amz-date signed with Date's value (dropped in transit)",
    ),
    Cause(
        "checksum-unsupported",
        "The store refuses the SDK's default checksum headers",
        "make the SDK send checksums only where an operation requires them: set its request "
        "(and response) checksum setting to when_required (the finding names the setting for "
        "the SDK and version read from the User-Agent), or use an SDK release from before "
        "January 2025",
        "The server answered R2's 501 NotImplemented for an x-amz-checksum-* or "
        "x-amz-sdk-checksum-algorithm header, or B2's InvalidArgument 'Unsupported header'; or "
        "the request carries those headers to a store whose profile refuses them (--store, or "
        "the endpoint's host).",
        "aws-sdk-js 3.729.0 sends x-amz-checksum-crc32 on PutObject; Cloudflare R2 answers "
        "501 NotImplemented.",
        answers=(
            ("", "unsupported header 'x-amz-checksum-"),
            ("", "unsupported header 'x-amz-sdk-checksum-algorithm'"),
            ("NotImplemented", "header 'x-amz-checksum-"),
            ("NotImplemented", "header 'x-amz-sdk-checksum-algorithm'"),
        ),
        given=(
            ("NotImplemented", "", "checksum-header"),
            ("InvalidArgument", "unsupported header", "checksum-header"),
        ),
    ),
    Cause(
        "aws-chunked-unsupported",
        "The store refuses aws-chunked bodies or trailing checksums",
        "make the SDK send a plain body with Content-Length: set its request checksum "
        "setting to when_required (the finding names it for the SDK read from the "
        "User-Agent); over plain HTTP botocore sends the checksum as a header instead",
        "The server answered 'aws-chunked encoding is not supported', '… multiple chunks "
        "using aws-chunked is not supported', 'trailing checksum is not supported' or "
        "InvalidTrailer; or XAmzContentSHA256Mismatch to a request that shows "
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER, Content-Encoding: aws-chunked or x-amz-trailer "
        "(without the request in view that answer is only likely: a changed body answers the "
        "same); or the store's profile refuses trailers.",
        "The AWS CLI over TLS sends STREAMING-UNSIGNED-PAYLOAD-TRAILER with x-amz-trailer: "
        "x-amz-checksum-crc32; Aliyun OSS answers 'aws-chunked encoding is not supported with "
        "the specified x-amz-content-sha256 value'.",
        answers=(
            ("", "aws-chunked encoding is not supported"),
            ("", "using aws-chunked is not supported"),
            ("", "trailing checksum is not supported"),
            ("", "trailing checksums are not supported"),
            ("", "x-amz-trailer is not supported"),
            ("", "trailers are not supported"),
            ("InvalidTrailer", ""),
            ("NotImplemented", "header 'x-amz-trailer'"),
            ("", "unsupported header 'x-amz-trailer'"),
            ("NotImplemented", "aws-chunked"),
            ("", "aws-chunked payloads are not implemented"),
            ("", "streaming-unsigned-payload-trailer is not supported"),
        ),
        given=(
            ("XAmzContentSHA256Mismatch", "", "aws-chunked"),
            ("NotImplemented", "", "aws-chunked"),
            ("MalformedTrailerError", "", "aws-chunked"),
            ("", "x-amz-content-sha256 must be", "aws-chunked"),
            ("", "value of x-amz-content-sha256 header is invalid", "aws-chunked"),
            ("", "trailer", "aws-chunked"),
        ),
    ),
    Cause(
        "content-md5-required",
        "The store requires Content-MD5 where the SDK sent a CRC checksum",
        "send Content-MD5 for this operation (DeleteObjects, PutBucketCors, "
        "PutBucketLifecycle …): since January 2025 the SDKs send a CRC32 instead, and "
        "when_required does not bring MD5 back; the finding names the SDK's way (Java: "
        "LegacyMd5Plugin; JS: an MD5 middleware; botocore and the AWS CLI: none, so a hook "
        "adding Content-MD5 or one DeleteObject per key), or upgrade the store",
        "The server answered MissingContentMD5 or 'Missing required header for this request: "
        "Content-MD5', or BadDigest/InvalidDigest to a request that carries x-amz-checksum-* "
        "and no Content-MD5.",
        "boto3 1.36 delete_objects against MinIO before 2025: MissingContentMD5.",
        answers=(
            ("MissingContentMD5", ""),
            ("", "missing required header for this request: content-md5"),
            ("", "requires one valid content-md5"),
            ("", "content-md5 header is required"),
            ("", "content-md5 header required"),
            ("", "missing content-md5"),
        ),
        given=(
            ("BadDigest", "content-md5", "crc-without-md5"),
            ("InvalidDigest", "", "crc-without-md5"),
        ),
    ),
    Cause(
        "presigned-checksum",
        "The presigned URL is bound to the checksum of another body",
        "presign without a checksum (set the SDK's request checksum calculation to "
        "when_required before presigning), or presign with the checksum of the exact body "
        "that will be uploaded and send it as x-amz-checksum-*",
        "The URL's x-amz-checksum-* parameter holds the checksum of an empty body "
        "(CRC32 AAAAAA==) and the request carries a body, or a checksum that the body sent "
        "does not hash to; or the server answered 'expected AAAAAA=='.",
        "aws-sdk-js 3.729 getSignedUrl(PutObjectCommand) without a Body signs "
        "x-amz-checksum-crc32=AAAAAA==; the upload of any real file is refused.",
        answers=(("", "expected aaaaaa=="), ("", "expected: aaaaaa==")),
        given=(
            ("BadDigest", "", "presigned-checksum"),
            ("InvalidDigest", "", "presigned-checksum"),
            ("XAmzContentChecksumMismatch", "", "presigned-checksum"),
            ("InvalidRequest", "checksum you specified did not match", "presigned-checksum"),
            ("InvalidRequest", "checksum mismatch", "presigned-checksum"),
        ),
    ),
    Cause(
        "content-length-chunked",
        "No Content-Length, or Content-Length sent with a chunked transfer",
        "send the body with a Content-Length: set the SDK's request checksum calculation to "
        "when_required (the SDK then sends a plain body with its length instead of a "
        "streamed aws-chunked one), or give the length for a stream (ContentLength); never "
        "send Content-Length and Transfer-Encoding: chunked together",
        "The server answered 411 MissingContentLength ('You must provide the Content-Length "
        "HTTP header'), or the request shows Transfer-Encoding: chunked without "
        "Content-Length to a store that needs a length, or with a Content-Length beside it.",
        "The AWS CLI over TLS streams STREAMING-UNSIGNED-PAYLOAD-TRAILER with "
        "Transfer-Encoding: chunked; Ceph RGW 16 and the Storj gateway answer 411 "
        "MissingContentLength.",
        answers=(
            ("MissingContentLength", ""),
            ("", "you must provide the content-length http header"),
        ),
        given=(("", "content-length", "length-missing"), ("", "length required", "length-missing")),
    ),
    Cause(
        "chunked-framing-stored",
        "The store kept the aws-chunked framing inside the object",
        "upload with a plain body: set the SDK's request checksum calculation to "
        "when_required (the finding names it for the SDK read from the User-Agent); then "
        "re-upload the objects written since, whose bytes begin with a chunk-size line",
        "A downloaded object (or a GET's body) begins with '<hex>;chunk-signature=' or a "
        "bare '<hex>' chunk-size line followed by CR LF and ends with a '0' chunk and "
        "trailers; or a received request carries such a body without Content-Encoding: "
        "aws-chunked and a STREAMING-* x-amz-content-sha256, so a store keeps it verbatim.",
        "GCS interoperability stores '15e\\r\\n<payload>\\r\\n0\\r\\n"
        "x-amz-checksum-crc32:…' for an upload from the AWS SDK for Java 2.30.",
    ),
)

BY_ID: dict[str, Cause] = {cause.id: cause for cause in REGISTRY}
IDS: tuple[str, ...] = tuple(BY_ID)


def get(cause_id: str) -> Cause:
    """The cause of that id; KeyError names an undeclared id (a bug, not an input error)."""
    return BY_ID[cause_id]


def fix(cause_id: str) -> str:
    return BY_ID[cause_id].fix


def _plain(text: str) -> str:
    """A message as compared: lower case, quotes of any kind dropped (servers and the JSON or
    log that carries their answer write 'x', "x", \\"x\\" or `x`), whitespace collapsed."""
    for quote in ("\\'", '\\"', "'", '"', "`", "\u2018", "\u2019", "\u201c", "\u201d"):
        text = text.replace(quote, "")
    return " ".join(text.lower().split())


def _matches(want_code: str, fragment: str, code: str, text: str) -> bool:
    if want_code and want_code.lower() != code.lower():
        return False
    return not fragment or _plain(fragment) in text


def from_answer(
    code: str | None, message: str | None, shows: Collection[str] | None = None
) -> tuple[Cause, ...]:
    """The causes a server's error code and message point at, in registry order. A code alone
    never matches a signal that needs a message fragment, and the reverse. `shows` names the
    traits the request is known to show (`sigkit.debug.integrity.traits`): an answer that
    points at a cause only for such a request (`Cause.given`) counts when its trait is there."""
    code, text = (code or "").strip(), _plain(message or "")
    found = []
    for cause in REGISTRY:
        plain = any(
            (want or fragment) and _matches(want, fragment, code, text)
            for want, fragment in cause.answers
        )
        given = shows is not None and any(
            trait in shows and (want or fragment) and _matches(want, fragment, code, text)
            for want, fragment, trait in cause.given
        )
        if plain or given:
            found.append(cause)
    return tuple(found)


def maybe_from_answer(code: str | None, message: str | None) -> tuple[tuple[Cause, str], ...]:
    """The causes an answer points at only if the request shows a trait, with that trait: what
    to name as likely (and what to ask for) when the request is not in view."""
    code, text = (code or "").strip(), _plain(message or "")
    found: list[tuple[Cause, str]] = []
    for cause in REGISTRY:
        for want, fragment, trait in cause.given:
            if (want or fragment) and _matches(want, fragment, code, text):
                found.append((cause, trait))
                break
    return tuple(found)


def markdown() -> str:
    """docs/causes.md: every cause, how sigkit recognises it, the fix and an example."""
    out = [
        "# Causes sigkit names",
        "",
        "Generated from `sigkit/debug/causes.py` by `python -m sigkit.debug.causes > "
        "docs/causes.md`; a test keeps this page current. Each id is stable: JSON output, "
        "`sigkit serve`'s answers and logs name causes by these ids.",
        "",
        "| id | what it is |",
        "|---|---|",
    ]
    out += [f"| [`{c.id}`](#{c.id}) | {c.title} |" for c in REGISTRY]
    for c in REGISTRY:
        out += ["", f"## {c.id}", "", f"**{c.title}.**", ""]
        out.append(f"- **How sigkit recognises it:** {c.recognised}")
        if c.answers:
            said = []
            for code, text in c.answers:
                parts = [f"`{code}`" if code else "", f"“{text}”" if text else ""]
                said.append(" with ".join(p for p in parts if p))
            out.append(f"- **What servers answer:** {'; '.join(said)}")
        if c.given:
            said = []
            for code, text, trait in c.given:
                parts = [f"`{code}`" if code else "", f"“{text}”" if text else ""]
                what = " with ".join(p for p in parts if p) or "any refusal"
                said.append(f"{what} when the request shows {trait}")
            out.append(f"- **With the request in view:** {'; '.join(said)}")
        if c.variants:
            out.append(f"- **Variants searched:** {c.variants}")
        out.append(f"- **Fix:** {c.fix}")
        out.append(f"- **Example:** {c.example}")
    return "\n".join(out) + "\n" + _APPENDIX


# Written by hand in the generator so that it stays beside the table it explains.
_APPENDIX = """
## What each vantage point can and cannot see

Every finding rests on what the sources show. Three vantage points, three kinds of evidence:

- **The request as the server received it** (`sigkit verify`, `sigkit serve`): the bytes and the
  signature the client sent, and the secret. A slip is named *certain* when one catalogued
  variant of the request reproduces the client's signature (the reconstructed canonical request
  or V2 string to sign is shown); time, scope, token, unsigned headers and malformed signature
  fields are refused with S3's own codes.
- **The client's log with the server's answer** (`sigkit explain`): the steps the client signed,
  the request it logged, the request line urllib3 put on the wire, and whatever the server
  answered (code, message, Date, ServerTime, and for AWS, ministack and `sigkit serve` the
  server's CanonicalRequest and StringToSign).
- **Both sides' steps** (an error body with CanonicalRequest next to the client's log): the first
  differing line, no secret needed.

Some slips cannot be told apart from some vantage points; sigkit then says `wrong-secret` as
*likely* (never certain) and lists what it would need:

- **A signed header's value changed to an arbitrary value in transit, seen from the server
  side only.** The search tries the rewrites HTTP stacks and proxies make (a charset appended,
  case, whitespace, a Host with or without its port, merged duplicates); a value changed to
  anything else cannot be guessed from the received request, so it looks like a wrong secret.
  The client's log or the server's CanonicalRequest next to it names `header-changed` at once.
- **A signed query parameter dropped before sending, seen from the server side only.** The
  server never sees what was dropped. The client's log shows it: botocore logs the URL it
  signed and urllib3 the request line it sent, and `explain` names `query-not-sent` (certain).
- **A request changed after the client logged it, against a server whose answer carries no
  CanonicalRequest (Ceph RGW, MinIO).** The log's steps are those of the request before the
  change. `explain` sees the change when urllib3's request line differs; a header rewritten
  after logging is visible only from the server side (`verify` on the received bytes).
- **The server's region or service, from RGW's answer.** RGW accepts any region and its answer
  names none; AWS answers `AuthorizationHeaderMalformed` with `<Region>`, which `explain` reads.
- **A body rewritten after signing with `UNSIGNED-PAYLOAD`.** Nothing signs the body; no
  vantage point sees a fault (and the server accepts it). With a signed hash the server answers
  `XAmzContentSHA256Mismatch` and `verify` reports `body-changed`.
- **A body the capture does not show** (an AWS CLI log, `curl -v`, or curl refused before
  `100-continue`): the body is not hashed as empty; only the empty-body hash signed for an
  announced body is named (`payload-hash`).

### The earlier open items (strict xfails of `tests/e2e/`)

The thirteen paths the first debugger could not name are now named by real-client cases in
`tests/e2e/test_causes.py` and `tests/e2e/test_causes_rgw.py`: the V2 paths of `explain`
(`content-type-md5`, `addressing-style`, `v2-subresource`, both `v2-date` forms) through the
docs' openssl recipe and botocore's V2 signer; `wrong-secret` from serve's answer and from curl;
the RGW variant paths (`header-changed` by case or charset, `host-port` with a non-default
port, the V2 Content-Type value, a V2 sub-resource left out). The two that remain impossible
from the server's side are the first two items above, each named from the client's log instead.
"""


if __name__ == "__main__":  # pragma: no cover - the docs generator
    sys.stdout.write(markdown())
