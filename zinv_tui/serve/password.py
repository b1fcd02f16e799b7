"""The password that guards ``zinv-tui serve``: a scrypt hash (standard library) in the config dir.

The file ``serve-password`` (mode 0600) holds one line, ``scrypt$<n>$<r>$<p>$<salt>$<hash>``
(salt and hash in hex); the password itself is never written anywhere. Checking one costs about
32 MiB and a tenth of a second, which is what makes guessing slow.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

PASSWORD_FILE = "serve-password"
MIN_LENGTH = 8
MAX_LENGTH = 1024
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
_MAXMEM = 2**26
"""Bytes scrypt may use: n=2**15, r=8 needs 32 MiB, above hashlib's 32 MiB default limit."""


class PasswordError(ValueError):
    """A password that cannot be used, or a password file that cannot be read (in plain words)."""


@dataclass(frozen=True, slots=True)
class PasswordHash:
    """A stored password: the scrypt parameters, the salt and the derived key."""

    n: int
    r: int
    p: int
    salt: bytes
    digest: bytes = b""

    def derive(self, password: str) -> bytes:
        return hashlib.scrypt(
            password.encode("utf-8"),
            salt=self.salt,
            n=self.n,
            r=self.r,
            p=self.p,
            maxmem=_MAXMEM,
            dklen=32,
        )

    def matches(self, password: str) -> bool:
        """Whether ``password`` is the one stored (compared in constant time)."""
        if not password or len(password) > MAX_LENGTH:
            return False
        return hmac.compare_digest(self.derive(password), self.digest)

    def to_line(self) -> str:
        return f"scrypt${self.n}${self.r}${self.p}${self.salt.hex()}${self.digest.hex()}"

    @classmethod
    def from_line(cls, line: str) -> PasswordHash:
        parts = line.strip().split("$")
        try:
            kind, n, r, p, salt, digest = parts
            if kind != "scrypt":
                raise ValueError(kind)
            stored = cls(int(n), int(r), int(p), bytes.fromhex(salt), bytes.fromhex(digest))
        except ValueError:
            raise PasswordError("the serve password file is damaged") from None
        if not (stored.salt and len(stored.digest) == 32 and stored.n > 1 and stored.r > 0):
            raise PasswordError("the serve password file is damaged")
        return stored

    @classmethod
    def new(cls, password: str) -> PasswordHash:
        check_new_password(password)
        blank = cls(SCRYPT_N, SCRYPT_R, SCRYPT_P, secrets.token_bytes(16))
        return cls(blank.n, blank.r, blank.p, blank.salt, blank.derive(password))


def check_new_password(password: str) -> None:
    """Refuse a password too short or too long to guard the shop's stock."""
    if len(password) < MIN_LENGTH:
        raise PasswordError(f"the password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordError(f"the password must have at most {MAX_LENGTH} characters")
    if not password.isprintable():
        raise PasswordError("the password must not contain control characters")


def password_path(config_dir: Path) -> Path:
    """Where the serve password's hash is kept."""
    return config_dir / PASSWORD_FILE


def store_password(config_dir: Path, password: str) -> Path:
    """Hash ``password`` and store it (created 0600, replaced atomically); returns the file."""
    stored = PasswordHash.new(password)
    config_dir.mkdir(parents=True, exist_ok=True)
    path = password_path(config_dir)
    temporary = path.with_name(f".{PASSWORD_FILE}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(stored.to_line() + "\n")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def load_password(config_dir: Path) -> PasswordHash | None:
    """The stored password hash, or None when none was set."""
    path = password_path(config_dir)
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise PasswordError(f"cannot read {path}: {error}") from None
    return PasswordHash.from_line(text)
