"""compose: a plain-text UTF-8 message with Date and Message-ID, and no header injection."""

from __future__ import annotations

import datetime as dt
import email.policy
from email.parser import BytesParser

import pytest

from strongroom.errors import InvalidInput
from strongroom.mail import compose


def test_headers_and_body() -> None:
    message = compose(sender="Strongroom <strongroom@pypi.example.org>", to="zoe@example.org",
                      subject="Vérifiez", text="Lien : https://pypi.example.org/v/1\n")
    assert message["From"].addresses[0].addr_spec == "strongroom@pypi.example.org"
    assert message["To"] == "zoe@example.org"
    assert message["Subject"] == "Vérifiez"
    age = dt.datetime.now(dt.UTC) - message["Date"].datetime
    assert dt.timedelta(0) <= age < dt.timedelta(minutes=1)
    assert message["Message-ID"].startswith("<")
    assert message["Message-ID"].endswith("@pypi.example.org>")
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content() == "Lien : https://pypi.example.org/v/1\n"
    raw = bytes(message)
    assert raw.isascii()  # 7-bit on the wire: any relay carries it unchanged
    assert BytesParser(policy=email.policy.default).parsebytes(raw).get_content() == (
        "Lien : https://pypi.example.org/v/1\n")


def test_each_message_has_its_own_id() -> None:
    ids = {compose(sender="s@example.org", to="t@example.org", subject="s",
                   text="t")["Message-ID"] for _ in range(10)}
    assert len(ids) == 10


@pytest.mark.parametrize(("field", "value"), [
    ("subject", "Hello\r\nBcc: victim@example.org"),
    ("subject", "Hello\nBcc: victim@example.org"),
    ("subject", "Hello\rthere"),
    ("subject", "nul\x00byte"),
    ("to", "zoe@example.org\r\nBcc: victim@example.org"),
    ("to", "zoe@example.org\n"),
    ("sender", "strongroom@example.org\r\nReply-To: evil@example.org"),
])
def test_header_injection_is_refused(field: str, value: str) -> None:
    fields = {"sender": "s@example.org", "to": "t@example.org", "subject": "s"} | {field: value}
    with pytest.raises(InvalidInput, match=rf"mail {field} .*line breaks and control "):
        compose(**fields, text="body")


@pytest.mark.parametrize("to", [
    "zoe@example.org, victim@example.org", "zoe@example.org; victim@example.org",
    "", "zoe", "zoe@", "@example.org", "Group: a@example.org, b@example.org;",
])
def test_one_address_only(to: str) -> None:
    with pytest.raises(InvalidInput, match=r"mail to .*not one address"):
        compose(sender="s@example.org", to=to, subject="s", text="body")


def test_addresses_must_be_ascii_but_names_need_not() -> None:
    with pytest.raises(InvalidInput, match=r"mail to .*only addresses in ASCII"):
        compose(sender="s@example.org", to="zoë@exämple.org", subject="s", text="body")
    message = compose(sender="s@example.org", to="Zoë <zoe@example.org>", subject="s",
                      text="body")
    assert message["To"].addresses[0].display_name == "Zoë"
