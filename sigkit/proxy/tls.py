"""The proxy's own certificate authority, for seeing inside HTTPS in forward mode.

A CA is created once (an EC P-256 key in ``ca-key.pem``, mode 0600, and ``ca.pem``, the
certificate clients trust: ``AWS_CA_BUNDLE=.../ca.pem`` or ``curl --cacert .../ca.pem``) and
reused on later runs. For each host a client CONNECTs to, a leaf certificate naming that host
is minted with one per-run key and cached for the run; the SSL contexts built from them live
in memory, their files in a private temporary folder removed on stop.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import ssl
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sigkit.errors import InputError
from sigkit.files import write_file

CA_CERT = "ca.pem"
CA_KEY = "ca-key.pem"
CA_NAME = "sigkit proxy CA"


def default_ca_dir() -> Path:
    """Where the CA lives unless --ca-dir says: $XDG_DATA_HOME/sigkit/proxy-ca, else
    ~/.local/share/sigkit/proxy-ca."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "sigkit" / "proxy-ca"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass
class Authority:
    """A loaded (or just created) CA and the leaf contexts minted from it."""

    folder: Path
    created: bool
    _key: Any = field(repr=False)
    _cert: Any = field(repr=False)
    _leaf_key: Any = field(default=None, repr=False)
    _contexts: dict[str, ssl.SSLContext] = field(default_factory=dict, repr=False)
    _tmp: str | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def cert_path(self) -> Path:
        return self.folder / CA_CERT

    def context_for(self, host: str) -> ssl.SSLContext:
        """A server-side SSL context presenting a certificate for `host` (a name or an IP)."""
        host = host.strip("[]").lower()
        with self._lock:
            ctx = self._contexts.get(host)
            if ctx is None:
                ctx = self._mint(host)
                self._contexts[host] = ctx
            return ctx

    def _mint(self, host: str) -> ssl.SSLContext:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        if self._leaf_key is None:
            self._leaf_key = ec.generate_private_key(ec.SECP256R1())
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix="sigkit-proxy-")  # mode 0700
        try:
            name: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            name = x509.DNSName(host)
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host[:64] or "-")]))
            .issuer_name(self._cert.subject)
            .public_key(self._leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName([name]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self._leaf_key.public_key()),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                critical=False,
            )
            .sign(self._key, hashes.SHA256())
        )
        pem = cert.public_bytes(serialization.Encoding.PEM) + self._leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path = Path(self._tmp) / f"leaf-{len(self._contexts)}.pem"
        write_file(path, pem, secret=True)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(path)
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    def close(self) -> None:
        """Remove the minted leaves' files (the CA stays)."""
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def load_or_create(folder: Path) -> Authority:
    """The CA in `folder`, created there (folder 0700, key 0600) when it holds none."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    cert_path, key_path = folder / CA_CERT, folder / CA_KEY
    _private_folder(folder)
    if cert_path.exists() or key_path.exists():
        try:
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise InputError(
                "--ca-dir", f"{folder}: cannot load the CA ({CA_CERT}, {CA_KEY}): {exc}"
            ) from None
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise InputError("--ca-dir", f"{key_path}: not an EC key this proxy created")
        if (key_path.stat().st_mode & 0o077) != 0:
            raise InputError(
                "--ca-dir",
                f"{key_path} is readable by others; chmod 600 it (it signs certificates)",
            )
        return Authority(folder, False, key, cert)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise InputError("--ca-dir", f"{folder}: {exc.strerror or exc}") from None
    _private_folder(folder)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sigkit"),
        ]
    )
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_file(key_path, key_pem, secret=True)
    write_file(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return Authority(folder, True, key, cert)


def _private_folder(folder: Path) -> None:
    """Refuse a CA folder others may write to: whoever can swap its key or certificate can
    read every request the clients trusting it send through the proxy."""
    try:
        mode = folder.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError("--ca-dir", f"{folder}: {exc.strerror or exc}") from None
    if mode & 0o022:
        raise InputError(
            "--ca-dir",
            f"{folder} is writable by others; chmod 700 it (it holds the proxy's CA key)",
        )


def upstream_context(ca_file: str | None, insecure: bool) -> ssl.SSLContext:
    """The client-side context for TLS to the store: the system's trust store plus `ca_file`,
    or no verification at all when `insecure`."""
    ctx = ssl.create_default_context()
    if insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif ca_file:
        try:
            ctx.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise InputError("--upstream-ca", f"{ca_file}: {exc}") from None
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx
