"""Staff accounts: password hashing, tokens, expiry and throttling of repeated failures (no lock-out)."""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.service import TOKEN_TTL, AccountError, Accounts, AuthError, check_password, hash_password
from hotline.throttle import Throttled


@pytest.fixture
def accounts(db):
    acc = Accounts(db)
    acc.create_user("li", "correct-horse-1", ["editor"], "李编辑")
    return acc


def test_passwords_are_salted_hashes():
    first, second = hash_password("secret-pass"), hash_password("secret-pass")
    assert first != second and "secret-pass" not in first
    assert check_password("secret-pass", first) and not check_password("wrong", first)


def test_login_token_and_expiry(accounts):
    now = datetime(2026, 11, 22, 8, tzinfo=UTC)
    token, expires, user = accounts.login("li", "correct-horse-1", now=now)
    assert user.roles == ("editor",) and expires == now + TOKEN_TTL
    assert accounts.verify(token, now=now).username == "li"
    assert accounts.verify(token, now=expires + timedelta(seconds=1)) is None
    assert accounts.verify("forged", now=now) is None
    accounts.logout(token)
    assert accounts.verify(token, now=now) is None


def test_failures_are_throttled_per_client_not_locked(accounts):
    now = datetime(2026, 11, 22, 8, tzinfo=UTC)
    for _ in range(5):
        with pytest.raises(AuthError):
            accounts.login("li", "guess", client="203.0.113.7", now=now)
    with pytest.raises(Throttled) as exc:  # this client waits, even with the right password
        accounts.login("li", "correct-horse-1", client="203.0.113.7", now=now + timedelta(seconds=1))
    assert exc.value.status == 429 and exc.value.retry_after == 1
    token, _, _ = accounts.login("li", "correct-horse-1", client="198.51.100.1", now=now)  # another is not held
    assert token
    token, _, _ = accounts.login("li", "correct-horse-1", client="203.0.113.7", now=now + timedelta(seconds=2))
    assert token
    with pytest.raises(AuthError):
        accounts.login("nobody", "x", client="203.0.113.7", now=now)


def test_bad_accounts_are_refused(accounts):
    with pytest.raises(AccountError):
        accounts.create_user("li", "another-pass-1", ["editor"])
    with pytest.raises(AccountError):
        accounts.create_user("wang", "short", ["editor"])
    with pytest.raises(AccountError):
        accounts.create_user("wang", "long-enough-1", ["superuser"])
