"""A real OIDC issuer on loopback for tests: an HTTP server in a thread that serves an OpenID
discovery document and a JWKS with an RSA and an EC key made for this run, and signs tokens
shaped like GitHub Actions', GitLab CI's and Google's with them.

    with running_issuer() as issuer:
        token = issuer.sign(issuer.github(repository="acme/tool", workflow="release.yml",
                                          audience="127.0.0.1"))

``issuer.url`` is what to trust (STRONGROOM_OIDC_GITHUB_ISSUERS ...). ``issuer.delay`` makes
every answer wait that many seconds, ``issuer.refuse`` answers 503, and ``issuer.requests``
counts the requests served, so tests can see keys being cached.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

RSA_KID = "rsa-key"
EC_KID = "ec-key"


@dataclass
class Issuer:
    """A running issuer: where it is, its keys, and knobs that make it misbehave."""

    url: str
    rsa_key: rsa.RSAPrivateKey
    ec_key: ec.EllipticCurvePrivateKey
    delay: float = 0.0
    refuse: bool = False
    algorithms: list[str] = field(default_factory=lambda: ["RS256", "ES256"])
    requests: int = 0

    def jwks(self) -> dict[str, Any]:
        rsa_jwk = json.loads(RSAAlgorithm.to_jwk(self.rsa_key.public_key()))
        ec_jwk = json.loads(ECAlgorithm.to_jwk(self.ec_key.public_key()))
        return {"keys": [rsa_jwk | {"kid": RSA_KID, "use": "sig", "alg": "RS256"},
                         ec_jwk | {"kid": EC_KID, "use": "sig", "alg": "ES256"}]}

    def discovery(self) -> dict[str, Any]:
        return {"issuer": self.url, "jwks_uri": f"{self.url}/jwks",
                "id_token_signing_alg_values_supported": self.algorithms}

    def sign(self, claims: dict[str, Any], *, alg: str = "RS256", kid: str | None = None,
             key: Any = None) -> str:
        """``claims`` signed with this issuer's RSA key (ES256: its EC key), or ``key``."""
        if key is None:
            key = self.ec_key if alg.startswith("ES") else self.rsa_key
        default_kid = EC_KID if alg.startswith("ES") else RSA_KID
        return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid or default_kid})

    def base(self, audience: str, *, lifetime: int = 300, **claims: Any) -> dict[str, Any]:
        now = int(time.time())
        return {"iss": self.url, "aud": audience, "iat": now, "nbf": now,
                "exp": now + lifetime, "jti": uuid.uuid4().hex} | claims

    def github(self, *, repository: str, workflow: str, audience: str, owner_id: str = "1234",
               ref: str = "refs/heads/main", sha: str = "a" * 40, environment: str = "",
               event_name: str = "push", **claims: Any) -> dict[str, Any]:
        """Claims shaped like a GitHub Actions job's token."""
        owner = repository.partition("/")[0]
        workflow_ref = f"{repository}/.github/workflows/{workflow}@{ref}"
        shaped = {"sub": f"repo:{repository}:ref:{ref}", "repository": repository,
                  "repository_owner": owner, "repository_owner_id": owner_id,
                  "repository_id": "99", "job_workflow_ref": workflow_ref,
                  "workflow_ref": workflow_ref, "ref": ref, "sha": sha,
                  "event_name": event_name, "run_id": "4242", "run_attempt": "1",
                  "workflow": "Release", "actor": "octocat"}
        if environment:
            shaped["environment"] = environment
        return self.base(audience, **shaped) | claims

    def gitlab(self, *, project_path: str, ci_file: str, audience: str,
               ref_path: str = "refs/heads/main", sha: str = "b" * 40, environment: str = "",
               **claims: Any) -> dict[str, Any]:
        """Claims shaped like a GitLab CI job's token from this issuer."""
        host = self.url.split("://", 1)[1]
        shaped = {"sub": f"project_path:{project_path}:ref_type:branch:ref:main",
                  "project_path": project_path, "namespace_path": project_path.rpartition("/")[0],
                  "ci_config_ref_uri": f"{host}/{project_path}//{ci_file}@{ref_path}",
                  "ref_path": ref_path, "sha": sha, "pipeline_id": "77", "job_id": "78"}
        if environment:
            shaped["environment"] = environment
        return self.base(audience, **shaped) | claims

    def google(self, *, email: str, audience: str, sub: str = "1122334455",
               **claims: Any) -> dict[str, Any]:
        """Claims shaped like a Google service account's identity token (no jti)."""
        shaped = self.base(audience, email=email, email_verified=True, sub=sub) | claims
        del shaped["jti"]
        return shaped


def _handler(issuer: Issuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            issuer.requests += 1
            if issuer.delay:
                time.sleep(issuer.delay)
            documents = {"/.well-known/openid-configuration": issuer.discovery,
                         "/jwks": issuer.jwks}
            if issuer.refuse or self.path not in documents:
                self.send_error(503 if issuer.refuse else 404)
                return
            body = json.dumps(documents[self.path]()).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # a client that gave up waiting on a slow answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_issuer() -> Iterator[Issuer]:
    """An issuer on 127.0.0.1 and a free port, stopped afterwards."""
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    issuer = Issuer(url="", rsa_key=rsa_key, ec_key=ec_key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(issuer))
    server.daemon_threads = True
    issuer.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield issuer
    finally:
        issuer.delay = 0
        server.shutdown()
        server.server_close()
        thread.join(10)
