"""Real servers the scale-out tests talk to: moto's S3 server on loopback, and Redis."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.functional.server import stop_process, wait_until_serving

REDIS_URL = os.environ.get("STRONGROOM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
S3_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "strongroom-test", "AWS_SECRET_ACCESS_KEY": "not-secret",
                  "AWS_DEFAULT_REGION": "us-east-1"}


@dataclass
class S3Server:
    """A running moto_server: its endpoint and a client factory."""

    endpoint: str

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id=S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            config=Config(s3={"addressing_style": "path"}),
        )

    def new_bucket(self) -> str:
        name = f"strongroom-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name


@contextmanager
def moto_s3(port: int, log_path: Path) -> Iterator[S3Server]:
    """Start ``moto_server`` on 127.0.0.1:``port`` and stop it afterwards."""
    binary = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    assert binary, "moto_server is missing: install the test extra (moto[server])"
    with log_path.open("ab") as log:
        process = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(port)],
                                   stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(endpoint, process, log_path, timeout=30, path="/moto-api/")
        yield S3Server(endpoint)
    finally:
        stop_process(process, grace=10)


def redis_client() -> Any:
    """A client of the test Redis, or an assertion naming what to start."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        client.close()
        raise AssertionError(f"Redis is not reachable at {REDIS_URL}: start it (see "
                             "README, Scale-out) or set STRONGROOM_TEST_REDIS_URL") from exc
    return client


def delete_prefix(client: Any, prefix: str) -> None:
    """Remove every key under ``prefix`` (what one test wrote)."""
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
