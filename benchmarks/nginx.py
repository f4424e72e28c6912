"""nginx configurations for the benchmark: the static export, and a caching proxy.

The static site serves ``admin export-static`` output with content negotiation by a ``map`` on
``Accept`` (the snippet in docs/static-export.md), and the files from a tree of symbolic links
into Strongroom's blob store, built here from the exported JSON pages.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from urllib.parse import unquote

_COMMON = """\
worker_processes {workers};
daemon off;
{user}pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    open_file_cache max=20000 inactive=60s;  # for the static files and the proxy's cache files
    client_body_temp_path {root}/tmp/body;
    proxy_temp_path {root}/tmp/proxy;
    fastcgi_temp_path {root}/tmp/fastcgi;
    uwsgi_temp_path {root}/tmp/uwsgi;
    scgi_temp_path {root}/tmp/scgi;
{body}
}}
"""

_STATIC = """\
    types {{
        text/html html;
        application/vnd.pypi.simple.v1+json v1_json;
        application/zip whl;
        application/gzip gz;
    }}
    default_type application/octet-stream;
    charset utf-8;
    map $http_accept $simple_index {{
        default index.html;
        "~application/vnd\\.pypi\\.simple\\.(v1|latest)\\+json" index.v1_json;
    }}
    server {{
        listen 127.0.0.1:{port};
        root {site};
        location /simple/ {{
            try_files $uri$simple_index =404;
            add_header Vary Accept;
        }}
        location /packages/ {{ }}
    }}
"""

_CACHE = """\
    proxy_cache_path {root}/cache levels=1:2 keys_zone=strongroom:16m max_size=2g inactive=1h
                     use_temp_path=off;
    upstream strongroom {{
        server 127.0.0.1:{upstream};
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://strongroom;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_cache strongroom;
            proxy_cache_key $request_uri$http_accept;
            proxy_cache_lock on;
            proxy_cache_revalidate on;
        }}
    }}
"""


def binary() -> str:
    """The nginx program (Debian installs it in /usr/sbin)."""
    return shutil.which("nginx") or "/usr/sbin/nginx"


def _config(root: Path, body: str) -> str:
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (root / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    # As root, nginx's workers would drop to "nobody", who may not read the work directory.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return _COMMON.format(workers=os.cpu_count() or 1, user=user, root=root, body=body)


def static_config(root: Path, site: Path, port: int) -> str:
    """Serve ``site`` (an export with a ``packages/`` tree) on ``port``."""
    return _config(root, _STATIC.format(port=port, site=site))


def cache_config(root: Path, upstream: int, port: int) -> str:
    """A caching reverse proxy on ``port`` in front of Strongroom on ``upstream``.

    The cache key includes ``Accept`` as the pages vary on it.
    """
    return _config(root, _CACHE.format(root=root, upstream=upstream, port=port))


def link_packages(site: Path, blobs: Path) -> int:
    """Link every file (and metadata file) the exported JSON pages list to its blob.

    Returns how many links were made. ``blobs`` is the store's root (``<aa>/<bb>/<sha256>``).
    """
    made = 0
    for page in (site / "simple").glob("*/index.v1_json"):
        for entry in json.loads(page.read_bytes())["files"]:
            digests = [(entry["url"], entry["hashes"]["sha256"])]
            if entry["core-metadata"]:
                digests.append((entry["url"] + ".metadata", entry["core-metadata"]["sha256"]))
            for url, sha256 in digests:
                link = site / unquote(url).lstrip("/")
                link.parent.mkdir(parents=True, exist_ok=True)
                if not link.is_symlink():
                    link.symlink_to(blobs / sha256[:2] / sha256[2:4] / sha256)
                    made += 1
    return made
