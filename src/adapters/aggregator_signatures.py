"""RSA-SHA256 (PKCS#1 v1.5) signatures of raw bodies, base64, as Hub88-style aggregators sign
their calls and expect the operator's answers signed (docs/aggregators.md). The keys are PEM
files the operator configures: each aggregator's public key, and Croupier's private key."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# Below this an RSA key is refused: 2048 bits is the floor for RSA signatures today.
MIN_RSA_BITS = 2048
# A signature is one RSA block: 512 bytes for a 4096-bit key, so its base64 is far below this.
_MAX_SIGNATURE_TEXT = 1024


def load_public_key(pem: bytes) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < MIN_RSA_BITS:
        raise ValueError(f"an aggregator's key must be an RSA public key of {MIN_RSA_BITS}+ bits")
    return key


def load_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < MIN_RSA_BITS:
        raise ValueError(f"the signing key must be an RSA private key of {MIN_RSA_BITS}+ bits")
    return key


class RsaAggregatorSignatures:
    def __init__(
        self, public_keys: Mapping[str, rsa.RSAPublicKey], private_key: rsa.RSAPrivateKey | None
    ) -> None:
        self._public = dict(public_keys)
        self._private = private_key

    def knows(self, aggregator: str) -> bool:
        return aggregator in self._public

    def verify(self, aggregator: str, body: bytes, signature: str) -> bool:
        key = self._public.get(aggregator)
        if key is None or not signature or len(signature) > _MAX_SIGNATURE_TEXT:
            return False
        try:
            raw = base64.b64decode(signature.strip(), validate=True)
            key.verify(raw, body, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True

    def sign(self, body: bytes) -> str:
        if self._private is None:
            return ""
        raw = self._private.sign(body, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(raw).decode("ascii")
