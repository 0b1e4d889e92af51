"""Password verification (iana-crypt-hash) and the bootstrap admin account."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agent.access.users import UserDirectory, hash_password, users_from_json, verify_password

_LONG = "a very much longer text to encrypt.  This one even stretches over morethan one line."
# Published vectors: SHA-256-crypt and SHA-512-crypt from Ulrich Drepper's specification ("Unix crypt
# using SHA-256 and SHA-512", its test table; the rounds=10 inputs come out clamped to rounds=1000);
# MD5-crypt from FreeBSD's libcrypt test (lib/libcrypt/tests/crypt_tests.c) and the specification's
# inputs through glibc crypt(3), whose output was compared with these on Debian 12.
CRYPT_VECTORS = [
    ("Hello world!", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"),
    ("Hello world!", "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA"),
    ("This is just a test", "$5$rounds=5000$toolongsaltstrin$Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5"),
    (_LONG, "$5$rounds=1400$anotherlongsalts$Rx.j8H.h8HjEDGomFU8bDkXm3XIUnzyxf12oP84Bnq1"),
    (
        "we have a short salt string but not a short password",
        "$5$rounds=77777$short$JiO1O3ZpDAxGJeaDIuqCoEFysAe1mZNJRs3pw0KQRd/",
    ),
    ("a short string", "$5$rounds=123456$asaltof16chars..$gP3VQ/6X7UUEW3HkBn2w1/Ptq2jxPyzV/cZKmF/wJvD"),
    (
        "the minimum number is still observed",
        "$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC",
    ),
    (
        "Hello world!",
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
    ),
    (
        "Hello world!",
        "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy"
        "/YTBmSK6H9qs/y3RnOaw5v.",
    ),
    (
        "This is just a test",
        "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1"
        "JSbq3y6JMxxl8audkUEm0",
    ),
    (
        _LONG,
        "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW"
        "7o7UmJEiDwGqd8p4ur1",
    ),
    (
        "we have a short salt string but not a short password",
        "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5"
        "CxtgfiAc0",
    ),
    (
        "a short string",
        "$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xX"
        "gMNrCzIMVcgEJAstJeonj1",
    ),
    (
        "the minimum number is still observed",
        "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0"
        "dqbpBYYBaHHrsX.",
    ),
    ("0.s0.l33t", "$1$deadbeef$0Huu6KHrKLVWfqa4WljDE0"),
    ("Hello world!", "$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1"),
    (_LONG, "$1$anotherl$K6Vw1g4o5xCrk48TD5civ."),
]


@pytest.mark.parametrize(("password", "stored"), CRYPT_VECTORS, ids=[v[1][:14] for v in CRYPT_VECTORS])
def test_published_crypt_vectors_verify(password: str, stored: str) -> None:
    assert verify_password(password, stored)
    assert not verify_password(password + "x", stored)
    assert not verify_password(password, stored[:-1] + ("A" if stored[-1] != "A" else "B"))


def test_crypt_hashes_verify() -> None:
    stored = hash_password("pw")
    # crypt(3)'s (and mkpasswd's) default form: 16 salt characters, implicit 5,000 rounds, 86-character hash
    assert re.fullmatch(r"\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}", stored)
    assert hash_password("pw") != stored  # a fresh salt each time
    assert verify_password("pw", stored)
    assert not verify_password("other", stored)
    assert verify_password("clear", "$0$clear")
    assert not verify_password("x", "!")  # locked / unknown formats never match
    assert not verify_password("x", "*")
    assert not verify_password("pw", "$2b$10$" + "a" * 53)  # bcrypt is not an iana-crypt-hash format


def test_malformed_hashes_never_match() -> None:
    assert not verify_password("pw", "$6$")
    assert not verify_password("pw", "$6$rounds=abc$salt$hash")
    assert not verify_password("pw", "$5$salt$not*a*valid*hash")
    assert not verify_password("", "$1$")


def test_bootstrap_admin_from_file_and_replaced_by_configured_users(tmp_path: Path) -> None:
    users_json = {"text": ""}
    d = UserDirectory(lambda: users_json["text"], tmp_path)
    pw = tmp_path / "pw"
    pw.write_text("first\n")
    assert d.ensure_bootstrap(pw) is None  # from the file: nothing to print
    admin = d.lookup("admin")
    assert admin is not None and admin.bootstrap and verify_password("first", admin.password_hash or "")
    assert (tmp_path / "netconf-admin.hash").stat().st_mode & 0o077 == 0
    assert d.ensure_bootstrap(None) is None  # never regenerated
    users_json["text"] = (
        '{"ietf-system:system":{"authentication":{"user":[{"name":"ops","password":"$0$x"}]}}}'
    )
    assert d.lookup("admin") is None  # configured users replace the bootstrap account
    assert d.lookup("ops") is not None


def test_generated_password_is_returned_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BNG_AGENT_ADMIN_PASSWORD", raising=False)
    d = UserDirectory(lambda: "", tmp_path)
    generated = d.ensure_bootstrap(None)
    assert generated and len(generated) >= 16
    admin = d.lookup("admin")
    assert admin is not None and verify_password(generated, admin.password_hash or "")
    assert d.ensure_bootstrap(None) is None


def test_users_from_json_reads_keys() -> None:
    text = (
        '{"ietf-system:system":{"authentication":{"user":[{"name":"k","authorized-key":'
        '[{"name":"a","algorithm":"ssh-ed25519","key-data":"AAAA"}]}]}}}'
    )
    (user,) = users_from_json(text)
    assert user.authorized_keys == ["ssh-ed25519 AAAA"]
