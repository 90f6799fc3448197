"""S3 Signature Version 2 (HmacV1), header and query (presigned) variants."""

from sigkit.sigv2.s3 import S3V2Config, presign_v2, sign_v2, sign_v2_query, v2_rules

__all__ = ["S3V2Config", "presign_v2", "sign_v2", "sign_v2_query", "v2_rules"]
