"""Imports point down the layers of DESIGN.md: entry points -> capabilities -> domain ->
db/storage -> config/errors. A module may import its own layer or any layer below."""

from __future__ import annotations

import ast
from pathlib import Path

import strongroom

ROOT = Path(strongroom.__file__).parent
RANK = {
    "cli": 4, "web": 4,
    "accounts": 3, "tokens": 3, "upload": 3, "index": 3, "lifecycle": 3, "rendering": 3,
    "projects": 3, "history": 3, "mail": 3, "critical": 3, "attestations": 3, "oidc": 3,
    "vulns": 3, "audit": 3,
    "domain": 2,
    "db": 1, "storage": 1,
    "config": 0, "errors": 0,
}


def _layer(module_path: Path) -> str:
    parts = module_path.relative_to(ROOT).with_suffix("").parts
    return parts[0]


def test_every_package_has_a_layer() -> None:
    for path in ROOT.rglob("*.py"):
        layer = _layer(path)
        assert layer in RANK or layer in ("__init__", "__main__"), path


def test_imports_point_down() -> None:
    upward = []
    for path in ROOT.rglob("*.py"):
        layer = _layer(path)
        if layer not in RANK:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                if parts[0] != "strongroom" or len(parts) < 2:
                    continue
                target = parts[1]
                if target in RANK and RANK[target] > RANK[layer]:
                    upward.append(f"{path.relative_to(ROOT)} imports {name}")
                sibling = target in RANK and RANK[target] == RANK[layer] == 3 and target != layer
                if sibling and len(parts) > 2:
                    # Capabilities may use each other only through their public packages.
                    upward.append(f"{path.relative_to(ROOT)} reaches into {name}")
    assert upward == []
