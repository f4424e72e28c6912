"""PasswordPolicy: length, zxcvbn strength, and the breached list searched in a local file in
Have I Been Pwned's format (built here from known passwords' SHA-1s)."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

import pytest
from zxcvbn import zxcvbn

from strongroom.accounts import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    AccountService,
    BreachedPasswords,
    PasswordPolicy,
)
from strongroom.config import load_settings
from strongroom.db.engine import Database
from strongroom.errors import InvalidInput, Unavailable

STRONG = "a long enough password"
BREACHED_BUT_STRONG = "correct horse battery staple"  # zxcvbn likes it; attackers know it


def _sha1(password: str) -> str:
    return hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()


def _write_list(path: Path, counts: dict[str, int], *, newline: str = "\r\n",
                final_newline: bool = True) -> Path:
    """An HIBP-format file of these passwords' hashes with their counts, sorted by hash."""
    lines = sorted(f"{_sha1(password)}:{count}" for password, count in counts.items())
    path.write_bytes((newline.join(lines) + (newline if final_newline else "")).encode())
    return path


@pytest.fixture
def breached() -> dict[str, int]:
    """300 passwords with their counts (made-up ones, and one famous phrase)."""
    counts = {f"leaked-{n:04d}": n + 1 for n in range(299)}
    counts[BREACHED_BUT_STRONG] = 3861
    return counts


def _by_hash(counts: dict[str, int]) -> list[str]:
    return sorted(counts, key=_sha1)


def _misses(counts: dict[str, int]) -> list[str]:
    """Passwords not in the list: two sorting before its first hash, two after its last, and
    up to 50 in between."""
    ordered = [_sha1(p) for p in _by_hash(counts)]
    before, after, between = [], [], []
    for n in range(1_000_000):
        candidate = f"never-leaked-{n}"
        digest = _sha1(candidate)
        bucket = before if digest < ordered[0] else after if digest > ordered[-1] else between
        bucket.append(candidate)
        if len(before) >= 2 and len(after) >= 2 and (len(between) >= 50 or n > 5000):
            break
    return before[:2] + after[:2] + between[:50]


# --- length and strength ------------------------------------------------------------------

@pytest.mark.parametrize("password", ["", "Xk7#pq2!mZ4", "x" * 5000,
                                      secrets.token_urlsafe(4000)[:MAX_PASSWORD_LENGTH + 1]])
def test_too_short_or_too_long_is_refused(password: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        PasswordPolicy().check(password, username="alice")
    assert refused.value.message == (
        f"password: must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long")


def test_the_longest_and_shortest_strong_passwords_pass() -> None:
    PasswordPolicy().check("Xk7#pq2!mZ4w", username="alice")
    PasswordPolicy().check(secrets.token_urlsafe(4000)[:MAX_PASSWORD_LENGTH], username="alice")


@pytest.mark.parametrize("password", ["password1234", "x" * 12, "qwertyuiop123", "iloveyou2020",
                                      "Password2024!", "mustang19871"])
def test_weak_passwords_are_refused_with_zxcvbns_advice(password: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        PasswordPolicy().check(password, username="alice", email="alice@example.org")
    verdict = zxcvbn(password, user_inputs=["alice", "alice@example.org", "alice"])
    message = refused.value.message
    assert message.startswith(f"password: too easy to guess (strength {verdict['score']} of 4, "
                              "at least 3 needed)")
    advice = [verdict["feedback"]["warning"], *verdict["feedback"]["suggestions"]]
    assert [text for text in advice if text]  # zxcvbn has something to say of each
    assert all(text in message for text in advice)


def test_a_score_of_3_is_enough() -> None:
    for password in ("bluehouse1987", "charliebrown12"):
        assert zxcvbn(password)["score"] == 3
        PasswordPolicy().check(password, username="alice")


def test_the_username_and_address_count_as_easy_guesses() -> None:
    password = "qzvkwpfrmtxb12"
    assert zxcvbn(password)["score"] == 4  # strong for anyone else
    PasswordPolicy().check(password, username="bob", email="bob@example.org")
    for username, email in (("qzvkwpfrmtxb", "bob@example.org"),
                            ("bob", "qzvkwpfrmtxb@example.org")):
        with pytest.raises(InvalidInput, match="too easy to guess"):
            PasswordPolicy().check(password, username=username, email=email)


def test_a_long_password_is_judged_by_its_beginning() -> None:
    # zxcvbn takes at most 72 characters; the rest neither helps nor costs time.
    PasswordPolicy().check(STRONG * 100)
    with pytest.raises(InvalidInput, match="too easy to guess"):
        PasswordPolicy().check("a" * 72 + secrets.token_urlsafe(30))


# --- the breached list ---------------------------------------------------------------------

@pytest.mark.parametrize(("newline", "final_newline"),
                         [("\r\n", True), ("\n", True), ("\n", False), ("\r\n", False)])
def test_every_listed_password_is_found_with_its_count_and_others_are_not(
        tmp_path: Path, breached: dict[str, int], newline: str, final_newline: bool) -> None:
    path = _write_list(tmp_path / "pwned.txt", breached, newline=newline,
                       final_newline=final_newline)
    listed = BreachedPasswords(path)
    ordered = _by_hash(breached)
    assert path.read_bytes().startswith(_sha1(ordered[0]).encode())  # the first line
    assert path.read_bytes().rstrip().endswith(f"{_sha1(ordered[-1])}:{breached[ordered[-1]]}"
                                               .encode())  # the last line
    assert [listed.count(p) for p in ordered] == [breached[p] for p in ordered]
    assert {listed.count(p) for p in _misses(breached)} == {0}


def test_byte_order_marks_the_downloader_writes_are_read_past(tmp_path: Path,
                                                              breached: dict[str, int]) -> None:
    # HIBP's downloader starts each range it writes with one (see passwords.py).
    path = _write_list(tmp_path / "pwned.txt", breached)
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(b"\xef\xbb\xbf" + line if n % 7 == 0 else line
                              for n, line in enumerate(lines)))
    listed = BreachedPasswords(path)
    assert [listed.count(p) for p in _by_hash(breached)] == [
        breached[p] for p in _by_hash(breached)]
    assert {listed.count(p) for p in _misses(breached)} == {0}


@pytest.mark.parametrize("size", [1, 2, 3])
def test_tiny_lists_are_searched_too(tmp_path: Path, size: int) -> None:
    counts = {f"pw-{n}": n + 10 for n in range(size)}
    listed = BreachedPasswords(_write_list(tmp_path / "pwned.txt", counts))
    assert [listed.count(p) for p in counts] == list(counts.values())
    assert {listed.count(p) for p in _misses(counts)} == {0}


def test_a_breached_password_is_refused_however_strong(tmp_path: Path,
                                                       breached: dict[str, int]) -> None:
    policy = PasswordPolicy(BreachedPasswords(_write_list(tmp_path / "pwned.txt", breached)))
    assert zxcvbn(BREACHED_BUT_STRONG)["score"] == 4
    with pytest.raises(InvalidInput) as refused:
        policy.check(BREACHED_BUT_STRONG, username="alice")
    assert refused.value.message == ("password: found in a data breach (3,861 times), so it is "
                                     "among the first that attackers try; choose another")
    policy.check(STRONG, username="alice")


def test_a_listed_password_counts_as_seen_whatever_its_count(tmp_path: Path) -> None:
    path = _write_list(tmp_path / "pwned.txt", {STRONG: 0, "other": 4})
    with pytest.raises(InvalidInput, match=r"found in a data breach \(1 times\)"):
        PasswordPolicy(BreachedPasswords(path)).check(STRONG)


def test_the_setting_names_the_list(tmp_path: Path, breached: dict[str, int]) -> None:
    path = _write_list(tmp_path / "pwned.txt", breached)
    settings = load_settings(None, environ={"STRONGROOM_BREACHED_PASSWORDS": str(path)})
    assert settings.breached_passwords == path
    policy = PasswordPolicy.from_settings(settings)
    assert policy.breached is not None
    assert policy.breached.path == path
    with pytest.raises(InvalidInput, match="found in a data breach"):
        policy.check(BREACHED_BUT_STRONG)
    config = tmp_path / "strongroom.toml"
    config.write_text(f"[strongroom]\nbreached_passwords = {str(path)!r}\n")
    assert load_settings(config, environ={}).breached_passwords == path
    assert PasswordPolicy.from_settings(load_settings(None, environ={})).breached is None


def _hashes(count: int) -> list[str]:
    return sorted(_sha1(f"pw-{n}") for n in range(count))


@pytest.mark.parametrize(("content", "says"), [
    (b"", "is empty"),
    # the NTLM file has the same layout with 32-digit hashes
    (b"".join(f"{h[:32]}:5\r\n".encode() for h in _hashes(100)), "the line at byte 0 is not"),
    (b"".join(f"{h.lower()}:5\r\n".encode() for h in _hashes(100)), "is not an upper-case SHA-1"),
    (b"".join(f"{h}\r\n".encode() for h in _hashes(100)), "the line at byte 0 is not"),
    (b"".join(f"{h}:5\r\n".encode() for h in reversed(_hashes(100))), "is not sorted by hash"),
    # the file ordered by prevalence instead of by hash
    (b"".join(f"{h}:{1000 - n}\n".encode() for n, h in
              enumerate(sorted(_hashes(500), key=lambda h: h[7:]))), "is not sorted by hash"),
    (b"".join(f"{h}:5\n".encode() for h in _hashes(100)) + b"\n", "is not an upper-case"),
    ("".join(f"{h}:5\n" for h in _hashes(100)).encode("utf-16"), "at byte 0 is not"),
    (b"".join(f"{h} : 5\n".encode() for h in _hashes(100)), "at byte 0 is not"),
    (b"".join(f"{h}:5\r".encode() for h in _hashes(100)), "at byte 0 is not"),
])
def test_a_malformed_or_unsorted_list_is_refused_when_opened(tmp_path: Path, content: bytes,
                                                            says: str) -> None:
    path = tmp_path / "pwned.txt"
    path.write_bytes(content)
    with pytest.raises(InvalidInput) as refused:
        BreachedPasswords(path)
    assert refused.value.message.startswith(
        f"setting breached_passwords (STRONGROOM_BREACHED_PASSWORDS): {path}")
    assert says in refused.value.message


def test_a_missing_list_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"cannot read .*missing.txt: No such file"):
        BreachedPasswords(tmp_path / "missing.txt")


def test_a_bad_line_met_by_a_lookup_is_an_error_not_a_miss(tmp_path: Path,
                                                           breached: dict[str, int]) -> None:
    path = _write_list(tmp_path / "pwned.txt", breached)
    listed = BreachedPasswords(path)
    # Every search reads first the line after the middle byte: damage it after opening.
    content = path.read_bytes()
    start = content.index(b"\n", len(content) // 2 - 1) + 1
    path.write_bytes(content[:start] + content[start:start + 40].lower() + content[start + 40:])
    for password in (BREACHED_BUT_STRONG, "never-leaked"):
        with pytest.raises(Unavailable, match=f"{path} is malformed or not sorted by hash at "
                                              f"byte {start}; the password was not checked"):
            listed.count(password)


def test_disorder_met_by_a_lookup_is_an_error_not_a_miss(tmp_path: Path,
                                                         breached: dict[str, int]) -> None:
    path = _write_list(tmp_path / "pwned.txt", breached)
    listed = BreachedPasswords(path)
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(reversed(lines)))  # replaced by a bad file after opening
    for password in _by_hash(breached)[:20]:
        with pytest.raises(Unavailable, match="not sorted by hash"):
            listed.count(password)
    path.unlink()
    with pytest.raises(Unavailable, match="cannot be read"):
        listed.count(BREACHED_BUT_STRONG)


# --- creating a user ------------------------------------------------------------------------

def test_create_user_applies_the_policy(database: Database, tmp_path: Path,
                                        breached: dict[str, int]) -> None:
    policy = PasswordPolicy(BreachedPasswords(_write_list(tmp_path / "pwned.txt", breached)))
    accounts = AccountService(database, policy=policy)
    for password, says in (("short", "must be 12 to"), ("password1234", "too easy to guess"),
                           ("bob@example.org!", "too easy to guess"),
                           (BREACHED_BUT_STRONG, "found in a data breach")):
        with pytest.raises(InvalidInput, match=f"^password: {says}"):
            accounts.create_user("bob", email="bob@example.org", password=password)
    assert accounts.list_users() == []
    assert accounts.create_user("bob", email="bob@example.org", password=STRONG).username == "bob"
