"""The distributions installed in a Python environment, read for auditing.

By default the environment is the one running the audit (``importlib.metadata``); given
another interpreter, that interpreter is run once to list its own (the same standard library
call, its output read as JSON), so a project's virtual environment can be audited from a
Strongroom installed elsewhere. As the import system does, the first distribution of a name
on ``sys.path`` is the one that counts; a later one of the same name is shadowed and skipped.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import distributions
from pathlib import Path

from strongroom.audit.dependencies import Dependency, Inputs, Skipped, Where
from strongroom.domain.names import normalize
from strongroom.errors import InvalidInput

# Run by the other interpreter: names and versions of its distributions, in sys.path order.
_LISTING = (
    "import json, importlib.metadata as m\n"
    "print(json.dumps([[d.metadata['Name'], d.version] for d in m.distributions()]))\n"
)
_TIMEOUT = 60  # seconds: listing even thousands of distributions takes well under one
_OUTPUT_LIMIT = 16 * 1024 * 1024


def installed(python: Path | None = None) -> Inputs:
    """The distributions of ``python``'s environment (the running interpreter's when None).
    Raises InvalidInput when ``python`` cannot be run or does not answer with a listing."""
    if python is None:
        listing = [(d.metadata["Name"], d.version) for d in distributions()]
        where = Where(sys.executable)
    else:
        listing = _listing_of(python)
        where = Where(str(python))
    inputs = Inputs()
    seen: set[str] = set()
    for name, version in listing:
        if not name or not version:
            inputs.skipped.append(Skipped(name or "(no name)", "its metadata has no name or "
                                          "no version", where))
        elif normalize(name) in seen:
            inputs.skipped.append(Skipped(f"{name} {version}", "shadowed by another "
                                          "installation of the same name earlier on sys.path",
                                          where))
        else:
            seen.add(normalize(name))
            inputs.dependencies.append(Dependency(name, version, where))
    return inputs


def _listing_of(python: Path) -> list[tuple[str, str]]:
    """(name, version) of every distribution ``python`` sees."""
    try:
        # The interpreter is the user's own choice (--python), run without a shell.
        done = subprocess.run([str(python), "-I", "-c", _LISTING], capture_output=True,  # noqa: S603
                              timeout=_TIMEOUT, check=False)
    except FileNotFoundError:
        raise InvalidInput(f"--python {python}: no such interpreter") from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InvalidInput(f"--python {python}: cannot be run ({exc})") from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise InvalidInput(f"--python {python}: exited with status {done.returncode} "
                           f"listing its distributions {said[0]}".rstrip())
    if len(done.stdout) > _OUTPUT_LIMIT:
        raise InvalidInput(f"--python {python}: listed more than {_OUTPUT_LIMIT} bytes")
    try:
        listing = json.loads(done.stdout)
    except ValueError:
        raise InvalidInput(f"--python {python}: did not answer with a listing (is it a "
                           "Python 3.8 or later?)") from None
    if not isinstance(listing, list) or not all(
            isinstance(item, list) and len(item) == 2 for item in listing):
        raise InvalidInput(f"--python {python}: did not answer with a listing")
    return [(str(name or ""), str(version or "")) for name, version in listing]
