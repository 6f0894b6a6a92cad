"""What a client certificate must be (pure): a PEM certificate, an optional PEM CA bundle, and a
PEM private key (opened with the passphrase, if any) that belongs to the certificate. Each problem
is a 400 naming the field."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from vantage.errors import BadRequest


def _bad(field: str, reason: str) -> BadRequest:
    return BadRequest(f'"{field}" {reason}', keys=[field])


def check_material(cert: str, key: str | None, passphrase: str | None, ca: str | None) -> None:
    try:
        certificate = x509.load_pem_x509_certificate(cert.encode())
    except ValueError:
        raise _bad("cert", "must be a certificate in PEM format") from None
    if ca:
        try:
            x509.load_pem_x509_certificates(ca.encode())
        except ValueError:
            raise _bad("ca", "must be one or more certificates in PEM format") from None
    if not key:
        return
    try:
        private = serialization.load_pem_private_key(
            key.encode(), password=passphrase.encode() if passphrase else None
        )
    except TypeError:
        # Encrypted without a passphrase, or a passphrase for a key that has none.
        raise _bad("passphrase", "does not fit the key") from None
    except ValueError:
        field = "passphrase" if passphrase and "ENCRYPTED" in key else "key"
        raise _bad(field, "does not open a private key in PEM format") from None
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if private.public_key().public_bytes(der, spki) != certificate.public_key().public_bytes(
        der, spki
    ):
        raise _bad("key", "is not the private key of the certificate")
