"""The upload use-case as a pipeline of named steps:
parse -> authenticate -> authorise -> receive -> validate -> store -> record -> notify."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from strongroom.config import Limits
from strongroom.db.engine import Database
from strongroom.db.models import Project, Role
from strongroom.domain.distributions import Distribution, inspect_distribution
from strongroom.domain.names import normalize
from strongroom.domain.policy import upload_denial
from strongroom.errors import Conflict, Forbidden, Problem, UploadRejected
from strongroom.storage import BlobStore
from strongroom.tokens import Identity, TokenService
from strongroom.upload.compare import form_problems
from strongroom.upload.form import UploadForm, parse_form
from strongroom.upload.receive import ReceivedFile, digest_problems, receive
from strongroom.upload.record import NewFile, existing_identical, file_exists_message, record


@dataclass(frozen=True)
class UploadRequest:
    """One ``POST /legacy/`` as the web layer hands it over."""

    fields: Mapping[str, Sequence[str]]
    content: BinaryIO | None
    content_filename: str | None
    token: str
    user_agent: str | None = None


@dataclass(frozen=True)
class UploadOutcome:
    """What happened: the file name, and the serial it was recorded at (None: already there)."""

    filename: str
    serial: int | None


class UploadService:
    """Validates and records distribution uploads."""

    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        tokens: TokenService,
        limits: Limits,
        *,
        on_commit: Callable[[int], None],
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        scratch_dir: Path | None = None,
    ) -> None:
        self._db = db
        self._blobs = blobs
        self._tokens = tokens
        self._limits = limits
        self._on_commit = on_commit
        self._clock = clock
        self._scratch_dir = scratch_dir

    def upload(self, request: UploadRequest) -> UploadOutcome:
        """Run the pipeline. Raises UploadRejected, NotAuthenticated, Forbidden or Conflict."""
        form, content = self._parse(request)
        now = self._clock()
        identity = self._tokens.verify(request.token, project=normalize(form.name), now=now)
        self._authorise(form, identity)
        filename = request.content_filename or ""
        with tempfile.TemporaryDirectory(dir=self._scratch_dir) as scratch:
            received = receive(content, Path(scratch) / "upload",
                               max_size=self._limits.max_file_size)
            with self._db.read() as session:
                if existing_identical(session, filename, received):
                    return UploadOutcome(filename=filename, serial=None)
            dist = self._validate(form, filename, received)
            metadata_digests = self._store(dist, received)
            serial = self._record(dist=dist, received=received, metadata_digests=metadata_digests,
                                  form=form, request=request, identity=identity, now=now)
        if serial is not None:
            self._on_commit(serial)
        return UploadOutcome(filename=filename, serial=serial)

    def _parse(self, request: UploadRequest) -> tuple[UploadForm, BinaryIO]:
        form, problems = parse_form(request.fields)
        if request.content is None and form is not None:
            problems.append(Problem("content", "Upload payload does not have a file."))
        if form is None or request.content is None or problems:
            raise UploadRejected(problems)
        return form, request.content

    def _authorise(self, form: UploadForm, identity: Identity) -> None:
        """Fail fast, before reading the file; the record step checks again under the lock."""
        name = normalize(form.name)
        with self._db.read() as session:
            project = session.scalar(select(Project).where(Project.normalized_name == name))
            role = None
            if project is not None:
                role = session.scalar(select(Role.role).where(
                    Role.project_id == project.id, Role.user_id == identity.user_id))
        denial = upload_denial(project=name, exists=project is not None,
                               status=project.status if project else "active", role=role,
                               username=identity.username)
        if denial:
            raise Forbidden(denial)

    def _validate(self, form: UploadForm, filename: str, received: ReceivedFile) -> Distribution:
        problems = digest_problems(form, received)
        try:
            dist = inspect_distribution(received.path, filename=filename,
                                        filetype=form.filetype, limits=self._limits)
        except UploadRejected as rejected:
            raise UploadRejected(problems + rejected.problems) from None
        problems += form_problems(form, dist)
        if problems:
            raise UploadRejected(problems)
        return dist

    def _store(self, dist: Distribution, received: ReceivedFile) -> tuple[str, str] | None:
        """Write the blobs before any row names them; returns the metadata file's digests."""
        with received.path.open("rb") as source:
            self._blobs.put(received.sha256, source)
        if dist.metadata_file is None:
            return None
        sha256 = hashlib.sha256(dist.metadata_file).hexdigest()
        self._blobs.put(sha256, io.BytesIO(dist.metadata_file))
        return sha256, hashlib.blake2b(dist.metadata_file, digest_size=32).hexdigest()

    def _record(
        self,
        *,
        dist: Distribution,
        received: ReceivedFile,
        metadata_digests: tuple[str, str] | None,
        form: UploadForm,
        request: UploadRequest,
        identity: Identity,
        now: dt.datetime,
    ) -> int | None:
        new = NewFile(
            dist=dist,
            received=received,
            metadata_sha256=metadata_digests[0] if metadata_digests else None,
            metadata_blake2_256=metadata_digests[1] if metadata_digests else None,
            comment=form.comment,
            uploaded_via=(request.user_agent or "")[:200] or None,
        )
        try:
            with self._db.write() as session:
                return record(session, new, identity, now=now,
                              max_project_size=self._limits.max_project_size)
        except IntegrityError as exc:
            # Unreachable while writers are serialised; kept as the database's last word.
            raise Conflict(file_exists_message(dist.filename, received.blake2_256)) from exc
