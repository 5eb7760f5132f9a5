"""Test-only signing keys and self-signed certificates for the synthetic APKs.

The keys are committed (tests/apk/builder/keys/) so certificate fingerprints stay the same
from run to run and can be written into test feeds. They are public and protect nothing.
Regenerate with ``python -m tests.apk.builder.keys`` (fingerprints then change).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

KEY_DIR = Path(__file__).resolve().parent / "keys"
PEM_NOTE = b"TEST KEY FOR unstalk's synthetic APKs - public, never use it to sign anything real.\n"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

# name -> (algorithm, organisation in the certificate subject)
TEST_KEYS: dict[str, tuple[str, str]] = {
    "rsa-a": ("RSA", "Example Apps (test key)"),
    "rsa-b": ("RSA", "Example Monitoring (test key)"),
    "rsa-feed": ("RSA", "Feed Listed Vendor (test key)"),
    "ec-a": ("EC", "Example Tools (test key)"),
    "ec-b": ("EC", "Example Family Software (test key)"),
}


@dataclass(frozen=True)
class SigningKey:
    """A private key and its self-signed certificate."""

    name: str
    private_key: PrivateKey
    certificate: x509.Certificate

    @property
    def algorithm(self) -> str:
        """``RSA`` or ``EC``, as used for the v1 signature block file extension."""
        return "RSA" if isinstance(self.private_key, rsa.RSAPrivateKey) else "EC"

    @property
    def cert_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def cert_sha1(self) -> str:
        """Upper-case hex SHA-1 of the DER certificate: the form feeds list."""
        return hashlib.sha1(self.cert_der).hexdigest().upper()

    @property
    def cert_sha256(self) -> str:
        return hashlib.sha256(self.cert_der).hexdigest().upper()

    @property
    def public_key_der(self) -> bytes:
        """SubjectPublicKeyInfo DER, as the v2/v3 signer blocks carry it."""
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def pkcs8_der(self) -> bytes:
        """The private key as unencrypted PKCS#8 DER (the ``.pk8`` apksigner reads)."""
        return self.private_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def generate_key(name: str, algorithm: str, organization: str) -> SigningKey:
    """Create a new key (RSA 2048 or EC P-256) and a self-signed certificate for it."""
    private_key: PrivateKey
    if algorithm == "RSA":
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif algorithm == "EC":
        private_key = ec.generate_private_key(ec.SECP256R1())
    else:
        raise ValueError(f"unsupported key algorithm {algorithm!r}")
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "ZZ"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, f"unstalk test key {name}"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2050, 1, 1, tzinfo=UTC))
        .sign(private_key, hashes.SHA256())
    )
    return SigningKey(name, private_key, certificate)


def write_key(key: SigningKey, folder: Path = KEY_DIR) -> None:
    """Store ``key`` as ``NAME.key.pem`` (PKCS#8) and ``NAME.cert.pem``, each with a note."""
    folder.mkdir(parents=True, exist_ok=True)
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (folder / f"{key.name}.key.pem").write_bytes(PEM_NOTE + pem)
    cert = key.certificate.public_bytes(serialization.Encoding.PEM)
    (folder / f"{key.name}.cert.pem").write_bytes(PEM_NOTE + cert)


@cache
def load_key(name: str, folder: Path = KEY_DIR) -> SigningKey:
    """Load a committed test key by name (see :data:`TEST_KEYS`)."""
    if name not in TEST_KEYS:
        raise KeyError(f"no test key named {name!r}; known: {', '.join(TEST_KEYS)}")
    pem = (folder / f"{name}.key.pem").read_bytes()
    private_key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(private_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise TypeError(f"test key {name!r} is neither RSA nor EC")
    certificate = x509.load_pem_x509_certificate((folder / f"{name}.cert.pem").read_bytes())
    return SigningKey(name, private_key, certificate)


def main() -> None:
    """Regenerate every committed test key (certificate fingerprints change)."""
    for name, (algorithm, organization) in TEST_KEYS.items():
        write_key(generate_key(name, algorithm, organization))


if __name__ == "__main__":
    main()
