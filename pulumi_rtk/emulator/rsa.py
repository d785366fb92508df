"""RSASSA-PKCS1-v1_5 signatures over SHA-256 (RFC 8017), written out by hand.

Why by hand: the emulator is stdlib-only, and the real service signs webhook bodies this
way (``rtk-signature``), so a receiver's verification code can only be exercised locally
if the emulator signs exactly like it. This is a test double's signer, not a crypto
library: no constant-time arithmetic, no blinding. It needs: key generation (Miller-Rabin
primes), EMSA-PKCS1-v1_5 encoding, modular exponentiation (``pow``, with the CRT speed-up),
and just enough DER to read a PKCS#1/PKCS#8 private key and write a SubjectPublicKeyInfo.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import secrets
from dataclasses import dataclass

__all__ = ["RsaKey", "generate", "load_private_pem"]

_E = 65537
_SMALL_PRIMES = [p for p in range(3, 2000) if all(p % d for d in range(2, math.isqrt(p) + 1))]
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
_RSA_OID = bytes.fromhex("06092a864886f70d0101010500")  # rsaEncryption, NULL parameters
_PEM = re.compile(r"-----BEGIN ([A-Z ]+)-----(.*?)-----END \1-----", re.DOTALL)


@dataclass(frozen=True)
class RsaKey:
    """An RSA private key with its CRT parameters."""

    n: int
    e: int
    d: int
    p: int
    q: int

    def sign(self, message: bytes) -> bytes:
        """RSASSA-PKCS1-v1_5 signature of ``message`` with SHA-256."""
        size = (self.n.bit_length() + 7) // 8
        digest_info = _SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
        padding = b"\xff" * (size - len(digest_info) - 3)
        encoded = int.from_bytes(b"\x00\x01" + padding + b"\x00" + digest_info, "big")
        # CRT: two half-size exponentiations instead of one full-size one.
        m1 = pow(encoded, self.d % (self.p - 1), self.p)
        m2 = pow(encoded, self.d % (self.q - 1), self.q)
        h = (pow(self.q, -1, self.p) * (m1 - m2)) % self.p
        return (m2 + h * self.q).to_bytes(size, "big")

    def public_pem(self) -> str:
        """The public key as PEM ``PUBLIC KEY`` (SubjectPublicKeyInfo), as the service publishes."""
        rsa_public = _der(0x30, _der_int(self.n) + _der_int(self.e))
        spki = _der(0x30, _der(0x30, _RSA_OID) + _der(0x03, b"\x00" + rsa_public))
        text = base64.b64encode(spki).decode()
        lines = [text[i : i + 64] for i in range(0, len(text), 64)]
        return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


def _probably_prime(candidate: int, rounds: int = 40) -> bool:
    for small in _SMALL_PRIMES:
        if candidate % small == 0:
            return candidate == small
    d, s = candidate - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        x = pow(secrets.randbelow(candidate - 3) + 2, d, candidate)
        if x in (1, candidate - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, candidate)
            if x == candidate - 1:
                break
        else:
            return False
    return True


def _prime(bits: int) -> int:
    while True:
        # The top two bits set make p*q exactly 2*bits long.
        candidate = secrets.randbits(bits) | (3 << (bits - 2)) | 1
        if (candidate - 1) % _E and _probably_prime(candidate):
            return candidate


def generate(bits: int = 2048) -> RsaKey:
    """A fresh key (about a second of pure-Python work for 2048 bits)."""
    while True:
        p, q = _prime(bits // 2), _prime(bits // 2)
        if p != q:
            break
    d = pow(_E, -1, math.lcm(p - 1, q - 1))
    return RsaKey(n=p * q, e=_E, d=d, p=p, q=q)


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _der_int(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _read(data: bytes, pos: int) -> tuple[int, bytes, int]:
    """One DER element at ``pos``: (tag, content, position after it)."""
    tag, size, pos = data[pos], data[pos + 1], pos + 2
    if size & 0x80:
        count = size & 0x7F
        size, pos = int.from_bytes(data[pos : pos + count], "big"), pos + count
    return tag, data[pos : pos + size], pos + size


def _sequence(content: bytes) -> list[tuple[int, bytes]]:
    items, pos = [], 0
    while pos < len(content):
        tag, value, pos = _read(content, pos)
        items.append((tag, value))
    return items


def load_private_pem(text: str) -> RsaKey:
    """Read a PEM RSA private key: PKCS#1 (``RSA PRIVATE KEY``) or PKCS#8 (``PRIVATE KEY``)."""
    found = _PEM.search(text)
    if found is None or found.group(1) not in ("RSA PRIVATE KEY", "PRIVATE KEY"):
        raise ValueError("webhook key: expected a PEM 'RSA PRIVATE KEY' or 'PRIVATE KEY'")
    try:
        der = base64.b64decode("".join(found.group(2).split()))
        _, body, _ = _read(der, 0)
        items = _sequence(body)
        if found.group(1) == "PRIVATE KEY":  # PKCS#8 wraps the PKCS#1 key in an OCTET STRING
            _, inner, _ = _read(items[2][1], 0)
            items = _sequence(inner)
        n, e, d, p, q = (int.from_bytes(items[i][1], "big") for i in range(1, 6))
    except (IndexError, ValueError) as exc:
        raise ValueError(f"webhook key: unreadable RSA private key ({exc})") from None
    if p * q != n:
        raise ValueError("webhook key: not an RSA private key (p*q != n)")
    return RsaKey(n=n, e=e, d=d, p=p, q=q)
