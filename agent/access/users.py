"""Who may open a NETCONF session: users from ``ietf-system`` plus a bootstrap ``admin``.

Users are read from the running datastore at each login (``/ietf-system:system/authentication/user``:
``name``, ``password``, ``authorized-key``), so a committed change applies to the next login without a
restart. Passwords are ``iana-crypt-hash`` values (RFC 7317): ``$1$`` (MD5-crypt), ``$5$`` (SHA-256-crypt)
and ``$6$`` (SHA-512-crypt, Drepper's specification) hashes are verified with libpass (the maintained fork
of passlib, imported as ``passlib``), whose own implementations of these algorithms run the same on every
Python: Python 3.13 removed the ``crypt`` module, through which the C library's ``crypt(3)`` did this
before. The pure-Python hash costs about 9 ms per check at the default 5,000 rounds (``crypt(3)``: 1-2
ms); gNMI caches successful checks. ``$0$<cleartext>`` (the RFC 7317 way to *send* a password that the
server should hash) is accepted as a literal comparison.

Bootstrap: a freshly installed node has no users, so the server keeps one account outside the
datastore, ``admin``, whose SHA-512 crypt hash lives in ``<data-dir>/netconf-admin.hash``. Its password
comes from ``--admin-password-file`` / ``BNG_AGENT_ADMIN_PASSWORD`` or is generated and printed once.
The bootstrap account is valid only while no user is configured in ``ietf-system``: configuring users
is how an operator takes over.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from passlib.hash import md5_crypt, sha256_crypt, sha512_crypt

log = logging.getLogger("agent.access.users")

# iana-crypt-hash prefix -> the libpass handler for that crypt(3) format.
_CRYPT_HANDLERS: dict[str, Any] = {"$1$": md5_crypt, "$5$": sha256_crypt, "$6$": sha512_crypt}
# What ``crypt.mksalt(METHOD_SHA512)`` gave and ``mkpasswd -m sha-512`` gives: 16 salt characters and
# the implicit 5,000 rounds, so the hash is written as ``$6$<salt>$<hash>``.
_BOOTSTRAP_HASHER = sha512_crypt.using(rounds=5000, salt_size=16)

BOOTSTRAP_USER = "admin"
ADMIN_HASH_FILE = "netconf-admin.hash"
USERS_XPATH = "/ietf-system:system/authentication/user"


@dataclass
class User:
    """One account as the SSH server needs it."""

    name: str
    password_hash: str | None = None
    authorized_keys: list[str] = field(default_factory=list)  # "algorithm base64" lines
    bootstrap: bool = False


def verify_password(password: str, stored: str) -> bool:
    """Check ``password`` against an iana-crypt-hash value, in constant time for equal lengths."""
    if stored.startswith("$0$"):
        return hmac.compare_digest(stored[3:].encode(), password.encode())
    handler = _CRYPT_HANDLERS.get(stored[:3])
    if handler is None:
        return False  # unknown or locked ("!", "*") hashes never match
    try:
        return bool(handler.verify(password, stored))  # libpass compares in constant time
    except ValueError:  # malformed hash (bad salt, rounds or checksum characters): never matches
        log.warning("event=auth-bad-hash scheme=%s", stored[:3])
        return False


def hash_password(password: str) -> str:
    """A ``$6$`` SHA-512 crypt hash with a random salt (what the bootstrap file stores)."""
    return str(_BOOTSTRAP_HASHER.hash(password))


def users_from_json(text: str) -> list[User]:
    """Parse the JSON-IETF print of the ietf-system user list."""
    if not text.strip():
        return []
    data: dict[str, Any] = json.loads(text)
    system = data.get("ietf-system:system", {})
    entries = system.get("authentication", {}).get("user", [])
    users = []
    for entry in entries:
        keys = [
            f"{k.get('algorithm', '')} {k.get('key-data', '')}".strip()
            for k in entry.get("authorized-key", [])
            if k.get("key-data")
        ]
        users.append(User(name=str(entry["name"]), password_hash=entry.get("password"), authorized_keys=keys))
    return users


class UserDirectory:
    """Resolves a login name to a :class:`User`, from running configuration or the bootstrap file."""

    def __init__(self, read_users_json: Callable[[], str], data_dir: Path) -> None:
        self._read = read_users_json
        self._hash_file = data_dir / ADMIN_HASH_FILE

    def configured(self) -> list[User]:
        return users_from_json(self._read())

    def lookup(self, name: str) -> User | None:
        users = self.configured()
        if users:
            return next((u for u in users if u.name == name), None)
        if name == BOOTSTRAP_USER and self._hash_file.exists():
            return User(name=name, password_hash=self._hash_file.read_text().strip(), bootstrap=True)
        return None

    def ensure_bootstrap(self, password_file: Path | None = None) -> str | None:
        """Create the bootstrap admin hash if there are no users and no hash yet.

        Returns the generated password when one was generated (the caller prints it once), else None.
        """
        if self.configured() or self._hash_file.exists():
            return None
        generated = None
        if password_file is not None:
            password = password_file.read_text().strip()
        elif os.environ.get("BNG_AGENT_ADMIN_PASSWORD"):
            password = os.environ["BNG_AGENT_ADMIN_PASSWORD"]
        else:
            password = generated = secrets.token_urlsafe(18)
        if not password:
            raise ValueError("the admin password must not be empty")
        tmp = self._hash_file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(hash_password(password) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self._hash_file)
        return generated
