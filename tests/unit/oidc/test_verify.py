"""Verifying OIDC tokens against a real issuer on loopback (tests/oidc.py): what verifies, and
every way a token or an issuer can fail, each answered with a clear code and no wait."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import time
from collections.abc import Iterator

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from strongroom.oidc.errors import Code, TokenRequestFailed
from strongroom.oidc.issuers import Issuer as Trusted
from strongroom.oidc.issuers import Issuers, Provider
from strongroom.oidc.keys import HttpKeyFetcher, KeysUnavailable
from strongroom.oidc.verify import TokenVerifier
from tests.oidc import RSA_KID, Issuer, running_issuer

AUDIENCE = "pypi.example.org"


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    with running_issuer() as running:
        yield running


def verifier_for(issuer: Issuer, *, provider: Provider = Provider.GITHUB,
                 timeout: float = 2.0) -> TokenVerifier:
    trusted = Issuers([Trusted(issuer.url, provider, str(provider))])
    return TokenVerifier(trusted, HttpKeyFetcher(timeout=timeout), audience=AUDIENCE)


def claims(issuer: Issuer, **changes: object) -> dict[str, object]:
    made = issuer.github(repository="acme/tool", workflow="release.yml", audience=AUDIENCE)
    made.update(changes)
    return {k: v for k, v in made.items() if v is not None}


def refusal(verifier: TokenVerifier, token: str) -> TokenRequestFailed:
    with pytest.raises(TokenRequestFailed) as caught:
        verifier.verify(token)
    return caught.value


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, object], payload: dict[str, object]) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"


def test_rsa_and_ec_tokens_verify(issuer: Issuer) -> None:
    verifier = verifier_for(issuer)
    made = claims(issuer)
    verified = verifier.verify(issuer.sign(made))
    assert verified.claims["repository"] == "acme/tool"
    assert verified.issuer.url == issuer.url
    assert verified.expires.timestamp() == made["exp"]
    expected = hashlib.sha256(f"{issuer.url}\njti:{made['jti']}".encode()).hexdigest()
    assert verified.replay_key == expected
    assert verifier.verify(issuer.sign(claims(issuer), alg="ES256")).claims["sub"]


# Times are offsets from the moment the test runs (not from collection, which a long run
# leaves far behind): "now+600" is ten minutes ahead of it.
@pytest.mark.parametrize(("changes", "words"), [
    ({"exp": "now-120", "iat": "now-600"}, "expired"),
    ({"aud": "pypi"}, "audience"),
    ({"aud": [AUDIENCE, "pypi"]}, "audience"),
    ({"aud": [AUDIENCE]}, "audience"),
    ({"iat": "now+600"}, "not valid yet"),
    ({"nbf": "now+600"}, "not valid yet"),
    ({"iat": None}, "no iat claim"),
    ({"exp": None}, "no exp claim"),
    ({"aud": None}, "no aud claim"),
    ({"jti": None}, "no jti claim"),
    ({"jti": "x" * 300}, "jti"),
    ({"jti": 42}, "JWT ID must be a string"),
])
def test_claims_that_do_not_verify(issuer: Issuer, changes: dict[str, object],
                                   words: str) -> None:
    now = int(time.time())
    timed = {claim: now + int(value[3:]) if isinstance(value, str) and value.startswith("now")
             else value for claim, value in changes.items()}
    failed = refusal(verifier_for(issuer), issuer.sign(claims(issuer, **timed)))
    assert failed.code is Code.INVALID_TOKEN
    assert words in failed.message


def test_a_token_within_the_leeway_verifies(issuer: Issuer) -> None:
    now = int(time.time())
    assert verifier_for(issuer).verify(issuer.sign(claims(issuer, exp=now - 10, iat=now - 300)))


def test_alg_none_is_refused(issuer: Issuer) -> None:
    token = unsigned({"alg": "none", "typ": "JWT", "kid": RSA_KID}, claims(issuer)) + "."
    failed = refusal(verifier_for(issuer), token)
    assert failed.code is Code.INVALID_TOKEN
    assert "'none' is not accepted" in failed.message


def test_hs256_signed_with_the_public_key_is_refused(issuer: Issuer) -> None:
    public_pem = issuer.rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    signing_input = unsigned({"alg": "HS256", "typ": "JWT", "kid": RSA_KID}, claims(issuer))
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    failed = refusal(verifier_for(issuer), f"{signing_input}.{b64(mac)}")
    assert failed.code is Code.INVALID_TOKEN
    assert "'HS256' is not accepted" in failed.message


def test_an_algorithm_the_issuer_does_not_declare_is_refused(issuer: Issuer) -> None:
    issuer.algorithms = ["RS256"]
    try:
        failed = refusal(verifier_for(issuer), issuer.sign(claims(issuer), alg="ES256"))
    finally:
        issuer.algorithms = ["RS256", "ES256"]
    assert "does not sign with ES256" in failed.message


def test_a_key_named_for_another_algorithm_is_refused(issuer: Issuer) -> None:
    # The RSA key's JWK says RS256: a PS256 token naming it does not verify with it.
    failed = refusal(verifier_for(issuer),
                     issuer.sign(claims(issuer), alg="PS256", kid=RSA_KID))
    assert "not for PS256" in failed.message or "does not sign with PS256" in failed.message


def test_a_forged_signature_is_refused(issuer: Issuer) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    failed = refusal(verifier_for(issuer), issuer.sign(claims(issuer), key=other))
    assert "signature does not verify" in failed.message


def test_unknown_kid_asks_the_issuer_again_at_most_once_a_minute(issuer: Issuer) -> None:
    moments = [1000.0]
    fetcher = HttpKeyFetcher(timeout=2, clock=lambda: moments[0])
    verifier = TokenVerifier(Issuers([Trusted(issuer.url, Provider.GITHUB, "GitHub")]),
                             fetcher, audience=AUDIENCE)
    verifier.verify(issuer.sign(claims(issuer)))
    before = issuer.requests
    refusal(verifier, issuer.sign(claims(issuer), kid="rotated-away"))
    assert issuer.requests == before  # fetched a moment ago: not again
    moments[0] += 61
    first = refusal(verifier, issuer.sign(claims(issuer), kid="rotated-away"))
    assert "no key 'rotated-away'" in first.message
    assert issuer.requests == before + 2  # discovery and JWKS again, once
    moments[0] += 30
    refusal(verifier, issuer.sign(claims(issuer), kid="another"))
    verifier.verify(issuer.sign(claims(issuer)))
    assert issuer.requests == before + 2  # throttled, and the known key still kept
    moments[0] += 300
    verifier.verify(issuer.sign(claims(issuer)))
    assert issuer.requests == before + 4  # kept past its time to live: fetched anew


def test_no_kid_is_refused(issuer: Issuer) -> None:
    token = jwt.encode(claims(issuer), issuer.rsa_key, algorithm="RS256")
    assert "no signing key (kid)" in refusal(verifier_for(issuer), token).message


def test_an_unknown_issuer_or_garbage_is_an_invalid_payload(issuer: Issuer) -> None:
    stranger = issuer.sign(claims(issuer, iss="https://token.actions.githubusercontent.com"))
    failed = refusal(verifier_for(issuer), stranger)
    assert (failed.code, failed.message) == (Code.INVALID_PAYLOAD,
                                             "unknown trusted publishing issuer")
    for garbage in ("", "not-a-jwt", "a.b.c", "x" * 20000):
        assert refusal(verifier_for(issuer), garbage).code in (Code.INVALID_PAYLOAD,
                                                                Code.INVALID_TOKEN)


def test_google_tokens_without_jti_are_known_by_their_digest(issuer: Issuer) -> None:
    verifier = verifier_for(issuer, provider=Provider.GOOGLE)
    token = issuer.sign(issuer.google(email="ci@acme.iam.gserviceaccount.com",
                                      audience=AUDIENCE))
    digest = hashlib.sha256(f"{issuer.url}\ntoken:{token}".encode()).hexdigest()
    assert verifier.verify(token).replay_key == digest


def test_an_issuer_that_is_down_fails_fast() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    verifier = TokenVerifier(Issuers([Trusted(url, Provider.GITHUB, "GitHub")]),
                             HttpKeyFetcher(timeout=2), audience=AUDIENCE)
    token = unsigned({"alg": "RS256", "kid": "a"}, {"iss": url}) + ".c2ln"
    started = time.monotonic()
    failed = refusal(verifier, token)
    assert failed.code is Code.INVALID_TOKEN
    assert "could not fetch the issuer's keys" in failed.message
    assert time.monotonic() - started < 2


def test_a_slow_issuer_times_out_and_then_fails_at_once(issuer: Issuer) -> None:
    verifier = verifier_for(issuer, timeout=0.5)
    issuer.delay = 1.5
    try:
        started = time.monotonic()
        failed = refusal(verifier, issuer.sign(claims(issuer)))
        assert time.monotonic() - started < 1.4
        assert "could not fetch the issuer's keys" in failed.message
        again = time.monotonic()
        refusal(verifier, issuer.sign(claims(issuer)))
        assert time.monotonic() - again < 0.2  # the failure is remembered for a while
    finally:
        issuer.delay = 0


def test_an_issuer_answering_errors_or_nonsense() -> None:
    with running_issuer() as broken:
        broken.refuse = True
        fetcher = HttpKeyFetcher(timeout=2)
        with pytest.raises(KeysUnavailable, match="answered 503"):
            fetcher.keys(broken.url)
        broken.refuse = False
        with pytest.raises(KeysUnavailable, match="answered 503"):
            fetcher.keys(broken.url)  # still backing off: the last failure, at once
        assert HttpKeyFetcher(timeout=2).keys(broken.url).algorithms == {"RS256", "ES256"}
        with pytest.raises(KeysUnavailable, match="names another issuer"):
            HttpKeyFetcher(timeout=2).keys(broken.url + "/")
