"""Scale-out: two worker pools on PostgreSQL + S3 (moto_server) + Redis behind a caching nginx.

Pool A is ``strongroom serve``; pool B is gunicorn with two uvicorn workers, configured by
deploy/gunicorn.conf.py; nginx runs deploy/nginx.conf filled in for this test. Uploads go
through A, several at once; after each one returns, A, B and nginx (every cached Accept variant)
must already serve the new serial and file, and the file must come back from S3 byte for byte.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import string
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from strongroom.index.purge import SIMPLE_VARIANTS
from tests.builders import make_wheel
from tests.databases import POSTGRES_URL, fresh_database
from tests.functional.server import STRONGROOM, free_port, stop_process, wait_until_serving
from tests.functional.uploads import post_upload
from tests.services import S3_CREDENTIALS, S3Server, delete_prefix, moto_s3, redis_client

pytestmark = [
    pytest.mark.functional,
    pytest.mark.skipif(not POSTGRES_URL, reason="scale-out runs on PostgreSQL: set "
                       "STRONGROOM_TEST_DATABASE_URL=postgresql://... (CI does)"),
    pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed "
                       "(apt-get install nginx; .ci/run does)"),
]

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
PROJECTS = 4
V1_JSON = "application/vnd.pypi.simple.v1+json"
PIP_ACCEPT = SIMPLE_VARIANTS[5]  # pip's own Accept header
VERSIONS = 3
B_CONNECTIONS = 4  # new connections to pool B, so that both of its workers answer


@dataclass
class Cluster:
    """Where everything listens, and the ground truth in the database."""

    worker_a: str
    worker_b: str
    proxy: str
    database_url: str
    bucket: str
    s3: S3Server
    token: str

    def last_serial(self, project: str) -> int:
        with psycopg.connect(self.database_url) as conn:
            row = conn.execute("SELECT last_serial FROM projects WHERE normalized_name = %s",
                               (project,)).fetchone()
        assert row is not None, project
        return int(row[0])


def _render_nginx(root: Path, port: int, upstreams: list[int]) -> Path:
    state = root / "nginx"
    state.mkdir()
    text = string.Template((DEPLOY / "nginx.conf").read_text()).safe_substitute(
        STATE_DIR=str(state), LISTEN=f"127.0.0.1:{port}",
        UPSTREAM_SERVERS=" ".join(f"server 127.0.0.1:{p};" for p in upstreams), PURGE_FROM="",
    )
    if os.geteuid() == 0:
        # nginx's workers would otherwise switch to "nobody", who cannot enter pytest's tmp.
        text = "user root;\n" + text
    config = state / "nginx.conf"
    config.write_text(text)
    return config


def _admin(env: dict[str, str], root: Path, username: str) -> str:
    """Create a user with the CLI, as an operator would, and return an account-wide token."""
    base = [*STRONGROOM, "admin"]
    data_dir = ["--data-dir", str(root / "admin")]
    subprocess.run([*base, "user", "create", username, "--email", f"{username}@example.org",
                    "--password-stdin", *data_dir], input="a long enough password\n",
                   text=True, env=env, check=True, capture_output=True, timeout=120)
    created = subprocess.run([*base, "token", "create", "--user", username, *data_dir],
                             text=True, env=env, check=True, capture_output=True, timeout=120)
    return created.stdout.strip()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("scaleout")
    prefix = f"strongroom-test:{uuid.uuid4().hex}:"
    port_a, port_b, port_proxy, port_s3 = (free_port() for _ in range(4))
    with fresh_database("postgresql", root) as url, moto_s3(port_s3, root / "moto.log") as s3:
        bucket = s3.new_bucket()
        env = {**os.environ, **S3_CREDENTIALS,
               "STRONGROOM_DATABASE_URL": url,
               "STRONGROOM_STORAGE_URL": f"s3://{bucket}/packages",
               "STRONGROOM_S3_ENDPOINT_URL": s3.endpoint,
               "STRONGROOM_REDIS_URL": "redis://127.0.0.1:6379/0",
               "STRONGROOM_REDIS_PREFIX": prefix,
               "STRONGROOM_PURGE_URLS": f"http://127.0.0.1:{port_proxy}",
               "STRONGROOM_BASE_URL": f"http://127.0.0.1:{port_proxy}"}
        processes: dict[str, subprocess.Popen[bytes]] = {}
        try:
            token = _admin(env, root, "alice")
            nginx_config = _render_nginx(root, port_proxy, [port_a, port_b])
            commands = {
                "a": [*STRONGROOM, "serve", "--data-dir", str(root / "a"), "--port", str(port_a)],
                "b": [str(Path(sys.executable).parent / "gunicorn"), "-c",
                      str(DEPLOY / "gunicorn.conf.py")],
                "nginx": ["nginx", "-p", str(nginx_config.parent), "-c", str(nginx_config),
                          "-g", "daemon off;"],
            }
            extra = {"b": {"STRONGROOM_BIND": f"127.0.0.1:{port_b}", "STRONGROOM_WORKERS": "2",
                           "STRONGROOM_DATA_DIR": str(root / "b")}}
            for name, command in commands.items():
                with (root / f"{name}.log").open("ab") as log:
                    processes[name] = subprocess.Popen(
                        command, stdout=log, stderr=subprocess.STDOUT,
                        env={**env, **extra.get(name, {})})
            for name, port in (("a", port_a), ("b", port_b), ("nginx", port_proxy)):
                wait_until_serving(f"http://127.0.0.1:{port}", processes[name],
                                   root / f"{name}.log", timeout=60)
            yield Cluster(f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}",
                          f"http://127.0.0.1:{port_proxy}", url, bucket, s3, token)
        finally:
            for process in processes.values():
                stop_process(process)
            client = redis_client()
            delete_prefix(client, prefix)
            client.close()


def _page(client: httpx.Client, base: str, project: str, accept: str) -> httpx.Response:
    headers = {"Accept": accept} if accept else {}
    response = client.get(f"{base}/simple/{project}/", headers=headers)
    assert response.status_code == 200, (base, accept, response.text)
    return response


def _check_everywhere(cluster: Cluster, client: httpx.Client, project: str, filename: str,
                      serial: int) -> None:
    """Every worker and every cached variant at the proxy shows ``serial`` (or newer) and the
    file, and the file's bytes come back through each."""
    for base in (cluster.worker_a, cluster.worker_b, cluster.proxy):
        for accept in SIMPLE_VARIANTS:
            response = _page(client, base, project, accept)
            seen = int(response.headers["X-PyPI-Last-Serial"])
            assert seen >= serial, (base, accept, seen, serial)
            assert filename in response.text, (base, accept)
        index = client.get(f"{base}/simple/", headers={"Accept": V1_JSON})
        assert int(index.headers["X-PyPI-Last-Serial"]) >= serial, base
        document = client.get(f"{base}/pypi/{project}/json")
        assert document.status_code == 200
        assert int(document.headers["X-PyPI-Last-Serial"]) >= serial, base
        assert filename in {u["filename"] for u in document.json()["urls"]} | {
            f["filename"] for files in document.json()["releases"].values() for f in files}
        # Every worker names files where clients reach the index: the proxy.
        assert all(u["url"].startswith(f"{cluster.proxy}/packages/")
                   for u in document.json()["urls"]), base


def _missing_everywhere(cluster: Cluster, project: str) -> list[str]:
    """Ask every worker (B's on new connections, so both of its workers answer some) and the
    proxy for the project before it exists: each must say 404, and will remember that."""
    errors = []
    bases = (cluster.worker_a, *[cluster.worker_b] * B_CONNECTIONS, cluster.proxy)
    for base in bases:
        for path in (f"/simple/{project}/", f"/pypi/{project}/json"):
            status = httpx.get(base + path, timeout=30).status_code
            if status != 404:
                errors.append(f"{base}{path} before the first upload: {status}")
    return errors


def _found_on_every_b_worker(cluster: Cluster, project: str, filename: str) -> list[str]:
    """After the upload, B's page on new connections: neither of its workers may still think
    the project missing."""
    errors = []
    for _ in range(B_CONNECTIONS):
        response = httpx.get(f"{cluster.worker_b}/simple/{project}/", timeout=30)
        if response.status_code != 200 or filename not in response.text:
            errors.append(f"B after uploading {filename}: {response.status_code}")
    return errors


def _publish(cluster: Cluster, index: int, tmp_path: Path) -> list[str]:
    """Upload VERSIONS versions of one project through worker A, checking after each."""
    project = f"scale-{index}"
    errors = _missing_everywhere(cluster, project)
    with httpx.Client(timeout=60) as client:
        for v in range(1, VERSIONS + 1):
            wheel = make_wheel(tmp_path / f"{project}-{v}", project, f"{v}.0")
            if v > 1:
                # The page is cached at the proxy now, so only a purge can make it current.
                _page(client, cluster.proxy, project, PIP_ACCEPT)
                cached = _page(client, cluster.proxy, project, PIP_ACCEPT)
                if cached.headers.get("X-Cache-Status") != "HIT":
                    errors.append(f"{project} v{v}: proxy did not cache the page "
                                  f"({cached.headers.get('X-Cache-Status')})")
            data = wheel.read_bytes()
            response = post_upload(cluster.worker_a, cluster.token, wheel.name, data, {
                ":action": "file_upload", "protocol_version": "1", "name": project,
                "version": f"{v}.0", "filetype": "bdist_wheel", "pyversion": "py3",
                "metadata_version": "2.1", "sha256_digest": hashlib.sha256(data).hexdigest(),
            }, client=client)
            if response.status_code != 200:
                errors.append(f"{project} v{v}: upload {response.status_code} {response.text}")
                continue
            serial = cluster.last_serial(project)
            _check_everywhere(cluster, client, project, wheel.name, serial)
            errors += _found_on_every_b_worker(cluster, project, wheel.name)
            digest = hashlib.sha256(data).hexdigest()
            url = f"/packages/{digest[:2]}/{digest[2:4]}/{digest[4:]}/{wheel.name}"
            for base in (cluster.worker_b, cluster.proxy):
                assert client.get(base + url).content == data, base
            stored = cluster.s3.client().get_object(Bucket=cluster.bucket,
                                                    Key=f"packages/{digest}")
            assert stored["Body"].read() == data
    return errors


def test_writes_are_visible_on_every_worker_and_the_proxy_at_once(
        cluster: Cluster, tmp_path: Path) -> None:
    stop = threading.Event()
    read_failures: list[str] = []

    def keep_reading() -> None:
        # Readers on B and through the proxy while uploads run: pages must always be whole.
        with httpx.Client(timeout=30) as client:
            while not stop.is_set():
                for base in (cluster.worker_b, cluster.proxy):
                    response = client.get(f"{base}/simple/",
                                          headers={"Accept": V1_JSON})
                    if response.status_code != 200 or "projects" not in response.json():
                        read_failures.append(f"{base}: {response.status_code}")

    reader = threading.Thread(target=keep_reading)
    reader.start()
    try:
        with ThreadPoolExecutor(PROJECTS) as pool:
            results = list(pool.map(lambda i: _publish(cluster, i, tmp_path), range(PROJECTS)))
    finally:
        stop.set()
        reader.join()
    assert [e for errors in results for e in errors] == []
    assert read_failures == []
    newest = max(cluster.last_serial(f"scale-{i}") for i in range(PROJECTS))
    with httpx.Client(timeout=30) as client:
        for base in (cluster.worker_a, cluster.worker_b, cluster.proxy):
            index = client.get(f"{base}/simple/", headers={"Accept": V1_JSON})
            assert int(index.headers["X-PyPI-Last-Serial"]) == newest
            assert {p["name"] for p in index.json()["projects"]} == {
                f"scale-{i}" for i in range(PROJECTS)}


def test_proxy_answers_if_none_match_from_its_cache(cluster: Cluster) -> None:
    with httpx.Client(timeout=30) as client:
        first = client.get(f"{cluster.proxy}/simple/")
        again = client.get(f"{cluster.proxy}/simple/",
                           headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["X-Cache-Status"] == "HIT"
