"""What a new password must be: long enough, hard to guess (zxcvbn) and absent from a list of
breached passwords kept on local disk (Have I Been Pwned's downloadable file; no network).

The breached list is read by binary search over the sorted file (seek and readline: the full
file is about 40 GB), opened afresh for each lookup so that threads never share a file position.
A list that is malformed or out of order must not quietly answer "not breached": it is sampled
when the policy is built (``BreachedPasswords``), and every line a lookup reads is checked for
the format and against the order of the lines read before it, so a bad line met is an error,
not a miss.
"""

from __future__ import annotations

import hashlib
import re
import threading
from pathlib import Path
from typing import BinaryIO

from strongroom.config import Settings
from strongroom.errors import InvalidInput, Unavailable

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 4096
MIN_STRENGTH = 3  # zxcvbn's score, 0 to 4
# zxcvbn refuses longer input (and its matching grows steeply with length): a longer password
# is judged by its first 72 characters, which can only make the verdict stricter.
_ZXCVBN_LENGTH = 72
# zxcvbn keeps the user inputs of the call under way in a module-level dictionary, so two
# threads checking at once could judge one user's password against the other's name.
_ZXCVBN_LOCK = threading.Lock()
# One line of the list: SHA-1 in upper-case hex, ':', how often it was seen; CRLF or LF, the
# last line perhaps without. A byte order mark before a line is tolerated: HIBP's downloader
# (since its commit 1510fd4) writes each range through a new .NET StreamWriter with
# Encoding.UTF8, which puts one at the start of a stream.
_LINE = re.compile(rb"(?:\xef\xbb\xbf)?([0-9A-F]{40}):([0-9]+)\r?\n?\Z")
# Opening the list checks its first lines, this many spread over the file, and its last.
_FIRST_LINES = 4
_SAMPLES = 32
_SETTING = "setting breached_passwords (STRONGROOM_BREACHED_PASSWORDS)"


class BreachedPasswords:
    """A sorted list of SHA-1 hashes of breached passwords, in Have I Been Pwned's format
    (``5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:9545824``, one per line, sorted by hash).

    Opening checks the first lines, lines spread over the file and the last line for the format
    and order; InvalidInput names the setting, the file and the line's offset.
    Only a full read could prove the whole file sorted: lookups check each line they visit
    against the lines around it and raise Unavailable on a disorder they meet.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            with path.open("rb") as file:
                self._size = file.seek(0, 2)
                if self._size == 0:
                    raise InvalidInput(f"{_SETTING}: {path} is empty")
                self._check_layout(file)
        except OSError as exc:
            raise InvalidInput(f"{_SETTING}: cannot read {path}: {exc.strerror}") from exc

    def _check_layout(self, file: BinaryIO) -> None:
        lines = [self._line_at(file, 0)]
        while len(lines) < _FIRST_LINES and lines[-1][1]:
            lines.append((file.tell(), file.readline()))
        lines += [self._line_at(file, self._size * i // _SAMPLES) for i in range(1, _SAMPLES)]
        tail_start = max(0, self._size - 256)
        file.seek(tail_start)
        tail = file.read().splitlines(keepends=True)
        lines.append((self._size - len(tail[-1]), tail[-1]))
        previous = b""
        for start, line in sorted(dict(lines).items()):
            if not line:
                continue
            entry = _LINE.match(line)
            if entry is None:
                raise InvalidInput(f"{_SETTING}: {self.path}: the line at byte {start} is not "
                                   "an upper-case SHA-1, ':' and a count (Have I Been Pwned's "
                                   "SHA-1 file, sorted by hash)")
            if entry[1] < previous:
                raise InvalidInput(f"{_SETTING}: {self.path} is not sorted by hash (at byte "
                                   f"{start}): download the file ordered by hash")
            previous = entry[1]

    @staticmethod
    def _line_at(file: BinaryIO, offset: int) -> tuple[int, bytes]:
        """The first whole line starting at or after ``offset``, and where it starts
        (``b""`` past the end)."""
        if offset > 0:
            file.seek(offset - 1)
            file.readline()  # the rest of the line holding the byte before ``offset``
        else:
            file.seek(0)
        start = file.tell()
        return start, file.readline()

    def count(self, password: str) -> int:
        """How often ``password`` was seen in breaches (0: not in the list). Raises Unavailable
        when the file cannot be read, or a line it reads is malformed or out of order."""
        target = hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()
        try:
            with self.path.open("rb") as file:
                return self._search(file, target.encode())
        except OSError as exc:
            raise Unavailable(f"the breached-password list {self.path} cannot be read "
                              f"({exc.strerror}); the password was not checked") from exc

    def _search(self, file: BinaryIO, target: bytes) -> int:
        # A line that holds the target starts in [low, high); every line read there must
        # sort between the hashes seen below ``low`` and at or above ``high``.
        low, high = 0, file.seek(0, 2)
        below, above = b"", b"G"  # "G" sorts after every hex digit
        while low < high:
            middle = (low + high) // 2
            start, line = self._line_at(file, middle)
            if not line or start >= high:
                high = middle
                continue
            entry = _LINE.match(line)
            if entry is None or not below <= entry[1] <= above:
                raise Unavailable(f"the breached-password list {self.path} is malformed or "
                                  f"not sorted by hash at byte {start}; the password was not "
                                  "checked")
            found = entry[1]
            if found == target:
                return max(1, int(entry[2]))  # a listed password counts as seen
            if found < target:
                low, below = start + len(line), found
            else:
                high, above = middle, found
        return 0


class PasswordPolicy:
    """The rules a new password must pass; ``check`` raises InvalidInput with the first it
    breaks. Without ``breached`` the breach check is skipped."""

    def __init__(self, breached: BreachedPasswords | None = None) -> None:
        self.breached = breached

    @classmethod
    def from_settings(cls, settings: Settings) -> PasswordPolicy:
        """The policy the settings ask for (InvalidInput for an unusable breached list)."""
        path = settings.breached_passwords
        return cls(BreachedPasswords(path) if path is not None else None)

    def check(self, password: str, *, username: str = "", email: str = "") -> None:
        """Refuse ``password`` for the user ``username`` with address ``email``: shorter than
        MIN_PASSWORD_LENGTH or longer than MAX_PASSWORD_LENGTH characters, seen in a breach, or
        scoring below MIN_STRENGTH with zxcvbn (which counts the username and address as easy
        guesses). Raises InvalidInput ("password: ...") saying why, with zxcvbn's advice;
        Unavailable when the breached list cannot be searched."""
        if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
            raise InvalidInput(
                f"password: must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long"
            )
        seen = self.breached.count(password) if self.breached is not None else 0
        if seen:
            raise InvalidInput(f"password: found in a data breach ({seen:,} times), so it is "
                               "among the first that attackers try; choose another")
        user_inputs = [value for value in (username, email, email.partition("@")[0]) if value]
        with _ZXCVBN_LOCK:
            # Imported at the first check: its dictionaries take about 13 MB, which a server
            # process that never judges a password (most of them) need not hold.
            from zxcvbn import zxcvbn  # noqa: PLC0415 - deferred on purpose, for memory

            verdict = zxcvbn(password[:_ZXCVBN_LENGTH], user_inputs=user_inputs)
        if verdict["score"] < MIN_STRENGTH:
            advice = [verdict["feedback"]["warning"], *verdict["feedback"]["suggestions"]]
            said = " ".join(text for text in advice if text)
            raise InvalidInput(f"password: too easy to guess (strength {verdict['score']} of 4, "
                               f"at least {MIN_STRENGTH} needed)" + (f". {said}" if said else ""))
