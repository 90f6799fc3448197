"""The end-to-end tests' real S3 server fixture (`s3server`) lives in tests/conftest.py, so that
every test that runs against it shares one server per session."""
