"""Staff accounts: password hashing, tokens, expiry and lockout after repeated failures."""
from datetime import datetime, timedelta, timezone

import pytest

from accounts.service import AccountError, Accounts, AuthError, LockedOut, TOKEN_TTL, check_password, hash_password
from hotline.db import Database


@pytest.fixture
def accounts(db_url):
    db = Database(db_url)
    db.migrate()
    acc = Accounts(db)
    acc.create_user("li", "correct-horse-1", ["editor"], "李编辑")
    return acc


def test_passwords_are_salted_hashes():
    first, second = hash_password("secret-pass"), hash_password("secret-pass")
    assert first != second and "secret-pass" not in first
    assert check_password("secret-pass", first) and not check_password("wrong", first)


def test_login_token_and_expiry(accounts):
    now = datetime(2026, 11, 22, 8, tzinfo=timezone.utc)
    token, expires, user = accounts.login("li", "correct-horse-1", now=now)
    assert user.roles == ("editor",) and expires == now + TOKEN_TTL
    assert accounts.verify(token, now=now).username == "li"
    assert accounts.verify(token, now=expires + timedelta(seconds=1)) is None
    assert accounts.verify("forged", now=now) is None
    accounts.logout(token)
    assert accounts.verify(token, now=now) is None


def test_lockout_after_five_failures(accounts):
    now = datetime(2026, 11, 22, 8, tzinfo=timezone.utc)
    for _ in range(5):
        with pytest.raises(AuthError):
            accounts.login("li", "guess", now=now)
    with pytest.raises(LockedOut) as exc:  # even the right password waits
        accounts.login("li", "correct-horse-1", now=now + timedelta(minutes=1))
    assert exc.value.status == 429
    token, _, _ = accounts.login("li", "correct-horse-1", now=now + timedelta(minutes=16))
    assert token
    with pytest.raises(AuthError):
        accounts.login("nobody", "x", now=now)


def test_bad_accounts_are_refused(accounts):
    with pytest.raises(AccountError):
        accounts.create_user("li", "another-pass-1", ["editor"])
    with pytest.raises(AccountError):
        accounts.create_user("wang", "short", ["editor"])
    with pytest.raises(AccountError):
        accounts.create_user("wang", "long-enough-1", ["superuser"])
