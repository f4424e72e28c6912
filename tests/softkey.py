"""A software security key for tests: it answers the options ``SecurityKeys`` gives as a
browser and a key would (``none`` attestation, an ECDSA P-256 key, a signature counter), so the
service is tested against real WebAuthn structures without a browser. Each part of an answer
can be bent (origin, relying party, counter) to build the attacks."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

_UP, _AT = 0x01, 0x40  # authenticator data flags: user present, credential attested


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftKey:
    """One credential: its id, private key and signature counter (``counting=False``: a key
    that always says 0, as many passkeys do)."""

    def __init__(self, origin: str = "https://index.example", *, counting: bool = True) -> None:
        self.origin = origin
        self.credential_id = secrets.token_bytes(32)
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.counting = counting
        self.count = 0

    def _client_data(self, kind: str, options: str, origin: str | None) -> bytes:
        challenge = json.loads(options)["challenge"]
        return json.dumps({"type": kind, "challenge": challenge,
                           "origin": origin or self.origin, "crossOrigin": False}).encode()

    def _cose_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                            -3: numbers.y.to_bytes(32, "big")})

    def create(self, options: str, *, origin: str | None = None,
               rp_id: str | None = None) -> dict[str, Any]:
        """What ``navigator.credentials.create()`` gives for ``options`` (JSON), as JSON."""
        rp = rp_id or json.loads(options)["rp"]["id"]
        attested = (bytes(16) + len(self.credential_id).to_bytes(2, "big")
                    + self.credential_id + self._cose_key())
        auth_data = (hashlib.sha256(rp.encode()).digest() + bytes([_UP | _AT])
                     + self.count.to_bytes(4, "big") + attested)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {"id": b64url(self.credential_id), "rawId": b64url(self.credential_id),
                "type": "public-key", "clientExtensionResults": {},
                "response": {"clientDataJSON": b64url(self._client_data(
                                 "webauthn.create", options, origin)),
                             "attestationObject": b64url(attestation), "transports": ["usb"]}}

    def get(self, options: str, *, origin: str | None = None, rp_id: str | None = None,
            count: int | None = None) -> dict[str, Any]:
        """What ``navigator.credentials.get()`` gives for ``options`` (JSON), as JSON; the
        counter moves on first (or says ``count``)."""
        if self.counting:
            self.count += 1
        rp = rp_id or json.loads(options)["rpId"]
        said = self.count if count is None else count
        auth_data = (hashlib.sha256(rp.encode()).digest() + bytes([_UP])
                     + said.to_bytes(4, "big"))
        client_data = self._client_data("webauthn.get", options, origin)
        signature = self.private_key.sign(auth_data + hashlib.sha256(client_data).digest(),
                                          ec.ECDSA(hashes.SHA256()))
        return {"id": b64url(self.credential_id), "rawId": b64url(self.credential_id),
                "type": "public-key", "clientExtensionResults": {},
                "response": {"clientDataJSON": b64url(client_data),
                             "authenticatorData": b64url(auth_data),
                             "signature": b64url(signature), "userHandle": None}}
