"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from healthcard.accounts.exceptions import WeakPassword

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
MIN_LENGTH = 8

# A valid hash of a random password: verifying against it when the user does not exist keeps the
# time of a failed login the same for unknown and known usernames.
_DUMMY_HASH = _hasher.hash("not-a-real-password-Qw3!")


def check_policy(password: str, *, username: str | None = None) -> None:
    """Refuse a password that is short, simple or contains the username."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"密码至少 {MIN_LENGTH} 位。")
    classes = [
        any(c in string.ascii_lowercase for c in password),
        any(c in string.ascii_uppercase for c in password),
        any(c in string.digits for c in password),
        any(not c.isalnum() for c in password),
    ]
    if sum(classes) < 3:
        raise WeakPassword("密码须包含小写字母、大写字母、数字、符号四类中的至少三类。")
    if username and username.lower() in password.lower():
        raise WeakPassword("密码不能包含用户名。")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; a missing hash still costs one verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)
