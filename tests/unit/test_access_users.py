"""Password verification (iana-crypt-hash) and the bootstrap admin account."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.access.users import UserDirectory, hash_password, users_from_json, verify_password


def test_crypt_hashes_verify() -> None:
    stored = hash_password("pw")
    assert stored.startswith("$6$")
    assert verify_password("pw", stored)
    assert not verify_password("other", stored)
    assert verify_password("clear", "$0$clear")
    assert not verify_password("x", "!")  # locked / unknown formats never match


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
