"""`sigkit proxy`: a live proxy between a client and an S3-style store (reverse or forward,
with TLS interception), whose hooks diagnose each refusal or re-sign each request."""
