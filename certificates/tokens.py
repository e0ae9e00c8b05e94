"""Certificate tokens (SPEC §5): a compact Ed25519-signed payload, base32 in upper case.

Wire format, version 1 (all integers big-endian)::

    offset  size  field
    0       1     format version, 0x01
    1       4     key id: the 4 bytes whose lower-case hex is the KID (see `kid_for`)
    5       1     n = length of the certificate number in bytes (1..255)
    6       n     certificate number, UTF-8 (in practice ASCII, e.g. "ZSSJ-2026-000123")
    6+n     18    USCC, ASCII
    24+n    2     issue date, days since 2000-01-01 (uint16: up to 2179-06-06)
    26+n    2     expiry date, days since 2000-01-01
    28+n    64    Ed25519 signature over bytes [0, 28+n)

token = base32(payload || signature), RFC 4648 alphabet, no '=' padding, upper case. A
16-character certificate number gives 108 bytes = 173 characters; with an upper-case base URL
the whole `<base>/V/<token>` uses only QR alphanumeric characters.

KID: the first 4 bytes of SHA-256 over the raw 32-byte public key, as 8 lower-case hex digits
(e.g. "3fa91c0e"). It is derived, so a key file or a published key can be checked against its
name, and it packs into 4 bytes of the token.

Verification checks the signature before it reads any claim: only the version byte and the key
id (needed to pick the key) are looked at first. A token that decodes to other bytes when
re-encoded (non-canonical base32 tail bits) is rejected, so no two strings carry one signature.

Private keys live in files `<kid>.pem` (PKCS#8, mode 0600) in a key directory (instance/keys),
next to `keys.json` holding public metadata, or come from the environment variable
``ALLIANCEMARK_SIGNING_KEY`` (`ENV_SIGNING_KEY`): either a PKCS#8 PEM or the raw 32-byte
private seed in base64/base64url. A key given by the environment must still be published:
`KeyStore.adopt(key, now)` records its public half as the active key without writing the
private half to disk. Nothing in this module logs or prints a private key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import struct
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

TOKEN_VERSION = 1
ALG = "Ed25519"
ENV_SIGNING_KEY = "ALLIANCEMARK_SIGNING_KEY"

EPOCH = date(2000, 1, 1)
_KID_BYTES = 4
_SIG_BYTES = 64
_USCC_BYTES = 18
_HEADER = struct.Struct(">B4s")  # version, kid
_DATES = struct.Struct(">HH")
_FIXED = _HEADER.size + 1 + _USCC_BYTES + _DATES.size  # everything but the certificate number
_MIN_TOKEN_BYTES = _FIXED + 1 + _SIG_BYTES
_MAX_TOKEN_BYTES = _FIXED + 255 + _SIG_BYTES
_KID_RE = re.compile(r"[0-9a-f]{8}")
_WHITESPACE = re.compile(r"\s+")
_QR_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


class TokenError(StrEnum):
    """Why a token was refused; every case is shown to the public as "not genuine"."""

    MALFORMED = "malformed"
    LENGTH = "wrong_length"
    VERSION = "unknown_version"
    UNKNOWN_KEY = "unknown_key"
    SIGNATURE = "bad_signature"


class TokenInvalid(ValueError):
    """A token that is not a genuine certificate token of this system."""

    def __init__(self, reason: TokenError, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason


@dataclass(frozen=True)
class Claims:
    version: int
    kid: str
    certificate_no: str
    uscc: str
    issued_on: date
    expires_on: date


# --- keys -------------------------------------------------------------------------------


def kid_for(public_key: Ed25519PublicKey) -> str:
    """Return the KID of a public key: hex of the first 4 bytes of SHA-256 of its raw bytes."""
    return hashlib.sha256(_raw_public(public_key)).digest()[:_KID_BYTES].hex()


def generate_key() -> tuple[str, Ed25519PrivateKey]:
    """Create a new Ed25519 key and return it with its KID."""
    key = Ed25519PrivateKey.generate()
    return kid_for(key.public_key()), key


def private_key_to_pem(key: Ed25519PrivateKey) -> bytes:
    """Serialize a private key as unencrypted PKCS#8 PEM."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def private_key_from_pem(data: bytes | str) -> Ed25519PrivateKey:
    """Load an Ed25519 private key from PKCS#8 PEM."""
    if isinstance(data, str):
        data = data.encode("ascii")
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


def public_key_to_b64(key: Ed25519PublicKey) -> str:
    """Encode a public key as its raw 32 bytes in unpadded base64url."""
    return base64.urlsafe_b64encode(_raw_public(key)).rstrip(b"=").decode("ascii")


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    """Decode a public key from raw 32 bytes in base64url (padding optional)."""
    raw = _b64decode(text)
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key has 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def load_signing_key(value: str) -> Ed25519PrivateKey:
    """Parse a private key given as PKCS#8 PEM or as the raw 32-byte seed in base64(url)."""
    value = value.strip()
    if value.startswith("-----BEGIN"):
        return private_key_from_pem(value)
    try:
        raw = _b64decode(value)
    except ValueError:
        raise ValueError(f"{ENV_SIGNING_KEY} is neither PEM nor base64") from None
    if len(raw) != 32:
        raise ValueError(f"{ENV_SIGNING_KEY} must hold a 32-byte Ed25519 seed")
    return Ed25519PrivateKey.from_private_bytes(raw)


def signing_key_from_env(environ: Mapping[str, str]) -> tuple[str, Ed25519PrivateKey] | None:
    """Return (kid, key) from ALLIANCEMARK_SIGNING_KEY in `environ`, or None when it is unset."""
    value = environ.get(ENV_SIGNING_KEY, "").strip()
    if not value:
        return None
    key = load_signing_key(value)
    return kid_for(key.public_key()), key


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _b64decode(text: str) -> bytes:
    text = text.strip().replace("+", "-").replace("/", "_").rstrip("=")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("invalid base64") from None


# --- tokens -----------------------------------------------------------------------------


def sign_token(claims: Claims, private_key: Ed25519PrivateKey) -> str:
    """Encode and sign the claims; return the upper-case unpadded base32 token."""
    if claims.version != TOKEN_VERSION:
        raise ValueError(f"cannot sign token version {claims.version}")
    if not _KID_RE.fullmatch(claims.kid):
        raise ValueError("kid must be 8 lower-case hex digits")
    if claims.kid != kid_for(private_key.public_key()):
        raise ValueError("kid does not name the signing key")
    number = claims.certificate_no.encode("utf-8")
    if not 1 <= len(number) <= 255:
        raise ValueError("certificate number must be 1..255 bytes")
    uscc = claims.uscc.encode("ascii")
    if len(uscc) != _USCC_BYTES:
        raise ValueError("USCC must be 18 ASCII characters")
    payload = b"".join(
        (
            _HEADER.pack(claims.version, bytes.fromhex(claims.kid)),
            bytes((len(number),)),
            number,
            uscc,
            _DATES.pack(_days(claims.issued_on), _days(claims.expires_on)),
        )
    )
    token = payload + private_key.sign(payload)
    return base64.b32encode(token).decode("ascii").rstrip("=")


def verify_token(token: str, public_keys: Mapping[str, Ed25519PublicKey]) -> Claims:
    """Check a token's signature with the key its KID names, then return its claims."""
    raw = _decode(token)
    if not _MIN_TOKEN_BYTES <= len(raw) <= _MAX_TOKEN_BYTES:
        raise TokenInvalid(TokenError.LENGTH, f"{len(raw)} bytes")
    version, kid_bytes = _HEADER.unpack_from(raw)
    if version != TOKEN_VERSION:
        raise TokenInvalid(TokenError.VERSION, str(version))
    kid = kid_bytes.hex()
    key = public_keys.get(kid)
    if key is None:
        raise TokenInvalid(TokenError.UNKNOWN_KEY, kid)
    payload, signature = raw[:-_SIG_BYTES], raw[-_SIG_BYTES:]
    try:
        key.verify(signature, payload)
    except InvalidSignature:
        raise TokenInvalid(TokenError.SIGNATURE) from None
    # Only now, with the payload authenticated, are the claims read.
    return _parse_claims(payload, kid)


def verify_url(base_url: str, token: str) -> str:
    """Return the public verification URL of a token."""
    return f"{base_url.rstrip('/')}/V/{token}"


def is_qr_alphanumeric(text: str) -> bool:
    """Tell whether every character fits QR alphanumeric mode (0-9 A-Z space $%*+-./:)."""
    return all(ch in _QR_ALPHANUMERIC for ch in text)


def _decode(token: str) -> bytes:
    if not isinstance(token, str):
        raise TokenInvalid(TokenError.MALFORMED, "not text")
    text = _WHITESPACE.sub("", token)
    if not text or not text.isascii():
        raise TokenInvalid(TokenError.MALFORMED, "empty or not ASCII")
    text = text.upper()
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError):
        raise TokenInvalid(TokenError.MALFORMED, "not base32") from None
    # Reject strings whose unused tail bits are set: one signature, one token string.
    if base64.b32encode(raw).decode("ascii").rstrip("=") != text:
        raise TokenInvalid(TokenError.MALFORMED, "non-canonical base32")
    return raw


def _parse_claims(payload: bytes, kid: str) -> Claims:
    version = payload[0]
    n = payload[_HEADER.size]
    if len(payload) != _FIXED + n:
        raise TokenInvalid(TokenError.LENGTH, "length byte does not match")
    start = _HEADER.size + 1
    try:
        number = payload[start : start + n].decode("utf-8")
        uscc = payload[start + n : start + n + _USCC_BYTES].decode("ascii")
    except UnicodeDecodeError:
        raise TokenInvalid(TokenError.MALFORMED, "text fields") from None
    issued, expires = _DATES.unpack_from(payload, start + n + _USCC_BYTES)
    return Claims(
        version=version,
        kid=kid,
        certificate_no=number,
        uscc=uscc,
        issued_on=date.fromordinal(EPOCH.toordinal() + issued),
        expires_on=date.fromordinal(EPOCH.toordinal() + expires),
    )


def _days(day: date) -> int:
    days = day.toordinal() - EPOCH.toordinal()
    if not 0 <= days <= 0xFFFF:
        raise ValueError(f"{day} is outside 2000-01-01 .. 2179-06-06")
    return days


# --- key store --------------------------------------------------------------------------


class KeyStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"  # signs nothing new; still verifies what it signed
    COMPROMISED = "compromised"  # its tokens show "re-issue required"


class KeyStoreError(Exception):
    """A key store operation that cannot be done (unknown KID, no active key, bad file)."""


@dataclass(frozen=True)
class KeyInfo:
    kid: str
    status: KeyStatus
    created_at: str
    public_key: str  # base64url raw
    has_private_key: bool


def parse_public_keys(document: Mapping) -> dict[str, tuple[Ed25519PublicKey, KeyStatus]]:
    """Read a `{"keys": [{kid, alg, public_key, status}]}` document into {kid: (key, status)}."""
    keys: dict[str, tuple[Ed25519PublicKey, KeyStatus]] = {}
    try:
        entries = document["keys"]
        for entry in entries:
            if entry.get("alg", ALG) != ALG:
                continue
            key = public_key_from_b64(entry["public_key"])
            if kid_for(key) != entry["kid"]:
                raise KeyStoreError(f"kid {entry['kid']!r} does not match its public key")
            keys[entry["kid"]] = (key, KeyStatus(entry["status"]))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a hand-edited file: never a traceback
        raise KeyStoreError(f"invalid public key document: {exc}") from None
    return keys


def load_public_file(path: str | os.PathLike) -> dict[str, tuple[Ed25519PublicKey, KeyStatus]]:
    """Read the published keys JSON (as served at /.well-known/alliancemark-keys.json)."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise KeyStoreError(f"cannot read {path}: {exc}") from None
    return parse_public_keys(document)


class KeyStore:
    """Signing keys in a directory: `<kid>.pem` private keys (0600) and `keys.json` metadata."""

    METADATA = "keys.json"

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)

    def generate(self, now: datetime) -> str:
        """Create a key, make it the active one (the previous active one retires); return KID."""
        kid, key = generate_key()
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._write_private(kid, key)
        self._add(kid, key.public_key(), now)
        return kid

    def adopt(self, private_key: Ed25519PrivateKey, now: datetime) -> str:
        """Publish an externally held key (e.g. from the environment) as active; keep no copy."""
        kid = kid_for(private_key.public_key())
        meta = self._read()
        if kid in meta and meta[kid]["status"] == KeyStatus.COMPROMISED:
            raise KeyStoreError(f"key {kid} is compromised")
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._add(kid, private_key.public_key(), now)
        return kid

    def list(self) -> list[KeyInfo]:
        """Return every key, oldest first."""
        meta = self._read()
        return [
            KeyInfo(
                kid=kid,
                status=KeyStatus(entry["status"]),
                created_at=entry["created_at"],
                public_key=entry["public_key"],
                has_private_key=self._pem_path(kid).exists(),
            )
            for kid, entry in sorted(meta.items(), key=lambda item: item[1]["created_at"])
        ]

    def retire(self, kid: str) -> None:
        """Stop signing with a key; what it signed still verifies."""
        self._set_status(kid, KeyStatus.RETIRED)

    def compromise(self, kid: str) -> None:
        """Mark a key compromised: it signs nothing and its tokens need re-issue."""
        self._set_status(kid, KeyStatus.COMPROMISED)

    def active_private_key(
        self, environ: Mapping[str, str] | None = None
    ) -> tuple[str, Ed25519PrivateKey]:
        """Return (kid, key) that signs new certificates: the environment's key, else the file's."""
        meta = self._read()
        if environ is not None and (from_env := signing_key_from_env(environ)) is not None:
            kid, key = from_env
            status = meta.get(kid, {}).get("status")
            if status != KeyStatus.ACTIVE:
                raise KeyStoreError(
                    f"{ENV_SIGNING_KEY} holds key {kid}, which is {status or 'not published'}"
                )
            return kid, key
        active = [kid for kid, entry in meta.items() if entry["status"] == KeyStatus.ACTIVE]
        if not active:
            raise KeyStoreError("no active signing key")
        kid = active[0]
        try:
            key = private_key_from_pem(self._pem_path(kid).read_bytes())
        except (OSError, ValueError):
            raise KeyStoreError(f"private key of {kid} is not readable") from None
        if kid_for(key.public_key()) != kid:
            raise KeyStoreError(f"private key file of {kid} holds another key")
        return kid, key

    def public_keys(self) -> dict[str, tuple[Ed25519PublicKey, KeyStatus]]:
        """Return {kid: (public key, status)} for every known key."""
        return {
            kid: (public_key_from_b64(entry["public_key"]), KeyStatus(entry["status"]))
            for kid, entry in self._read().items()
        }

    def export_public(self) -> dict:
        """Return the public key document served at /.well-known/alliancemark-keys.json."""
        return {
            "keys": [
                {"kid": info.kid, "alg": ALG, "public_key": info.public_key, "status": str(info.status)}
                for info in self.list()
            ]
        }

    # -- files --

    def _pem_path(self, kid: str) -> Path:
        if not _KID_RE.fullmatch(kid):
            raise KeyStoreError(f"not a key id: {kid!r}")
        return self.directory / f"{kid}.pem"

    def _write_private(self, kid: str, key: Ed25519PrivateKey) -> None:
        fd = os.open(self._pem_path(kid), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(fd, 0o600)  # whatever the umask
            os.write(fd, private_key_to_pem(key))
        finally:
            os.close(fd)

    def _add(self, kid: str, public_key: Ed25519PublicKey, now: datetime) -> None:
        meta = self._read()
        for entry in meta.values():
            if entry["status"] == KeyStatus.ACTIVE:
                entry["status"] = str(KeyStatus.RETIRED)
        meta[kid] = {
            "status": str(KeyStatus.ACTIVE),
            "created_at": meta.get(kid, {}).get("created_at") or now.isoformat(),
            "public_key": public_key_to_b64(public_key),
        }
        self._write(meta)

    def _set_status(self, kid: str, status: KeyStatus) -> None:
        meta = self._read()
        if kid not in meta:
            raise KeyStoreError(f"unknown key {kid!r}")
        if meta[kid]["status"] == KeyStatus.COMPROMISED and status != KeyStatus.COMPROMISED:
            raise KeyStoreError(f"key {kid} is compromised for good")
        meta[kid]["status"] = str(status)
        self._write(meta)

    def _read(self) -> dict[str, dict]:
        path = self.directory / self.METADATA
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise KeyStoreError(f"cannot read {path}: {exc}") from None
        if not isinstance(data, dict):
            raise KeyStoreError(f"{path} is not a key table")
        return data

    def _write(self, meta: dict[str, dict]) -> None:
        # Write then rename, so a crash never leaves a half-written key table.
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".keys.", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(meta, fh, indent=2, sort_keys=True)
                fh.write("\n")
            os.replace(tmp, self.directory / self.METADATA)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
