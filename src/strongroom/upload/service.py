"""The upload use-case as a pipeline of named steps:
parse -> authenticate -> authorise -> receive -> validate -> attest -> store -> record -> notify.

``attest`` verifies the PEP 740 attestations a trusted publisher sends (strongroom.attestations)
before anything is stored; the record step writes the file's provenance in its transaction
and flags a break with the release before, and ``notify`` tells the project's owners of one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import IntegrityError

from strongroom.attestations import (
    AttestationVerifier,
    ProvenanceChange,
    VerifiedProvenance,
    submitted,
    verify_provenance_file,
    verify_submitted,
)
from strongroom.config import Limits
from strongroom.db import journal
from strongroom.db.engine import Database
from strongroom.domain.distributions import Distribution, inspect_distribution
from strongroom.domain.filenames import parse_filename
from strongroom.domain.names import normalize
from strongroom.domain.principals import Authenticator, Credentials, Principal
from strongroom.domain.readme import DescriptionRenderer
from strongroom.domain.rules import IMPORT_POLICY, UPLOAD_POLICY, Policy
from strongroom.errors import Conflict, Problem, UploadRejected
from strongroom.projects import Project
from strongroom.storage import BlobStore
from strongroom.upload.compare import form_problems
from strongroom.upload.form import UploadForm, parse_form
from strongroom.upload.receive import ReceivedFile, digest_problems, receive
from strongroom.upload.record import (
    NewFile,
    ProjectAccess,
    Recorded,
    check_access,
    existing_identical,
    file_exists_message,
    project_access,
    record,
)


@dataclass(frozen=True)
class UploadRequest:
    """One ``POST /legacy/`` as the web layer hands it over."""

    fields: Mapping[str, Sequence[str]]
    content: BinaryIO | None
    content_filename: str | None
    credentials: Credentials
    user_agent: str | None = None


@dataclass(frozen=True)
class UploadOutcome:
    """What happened: the file name, the serial it was recorded at (None: already there), and
    the upload rules it breaks that its policy tolerated."""

    filename: str
    serial: int | None
    warnings: tuple[Problem, ...] = ()


class UploadService:
    """Validates and records distribution uploads; ``authenticator`` turns each upload's
    credentials into the Principal that uploads. ``verifier`` checks attestations (by default
    against sigstore's production root); ``on_provenance_change`` hears of each file whose
    provenance breaks with the release before, once it is committed."""

    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        authenticator: Authenticator[Connection],
        limits: Limits,
        *,
        render: DescriptionRenderer,
        on_commit: Callable[[journal.Written], None],
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        verifier: AttestationVerifier | None = None,
        on_provenance_change: Callable[[ProvenanceChange], object] | None = None,
    ) -> None:
        self._db = db
        self._blobs = blobs
        self._authenticator = authenticator
        self._limits = limits
        self._render = render
        self._on_commit = on_commit
        self._clock = clock
        self._verifier = verifier or AttestationVerifier()
        self._on_provenance_change = on_provenance_change

    @property
    def limits(self) -> Limits:
        """The index's default size limits; a project's own replace them."""
        return self._limits

    def largest_file(self, project: str | None) -> int:
        """The largest file in bytes an upload to ``project`` (a name as a form gives it) may
        carry: the project's own limit, or the default for a project without one or not yet
        made. With ``project`` None, the largest allowed to any project. For the web layer,
        which must accept a request body that large before the upload's own checks run."""
        with self._db.read_connection() as connection:
            if project is None:
                query = select(func.max(Project.upload_limit))
            else:
                query = select(Project.upload_limit).where(
                    Project.normalized_name == normalize(project))
            own = connection.execute(query).scalar()
        if project is None:
            return max(self._limits.max_file_size, own or 0)
        return self._limits.max_file_size if own is None else int(own)

    def upload(self, request: UploadRequest) -> UploadOutcome:
        """Run the pipeline. Raises UploadRejected, NotAuthenticated, Forbidden or Conflict,
        each carrying the project, file and principal it is about where they are known.

        A file that is already stored is answered only after the uploader was authorised for
        the form's project and the form and file passed every check a new file passes (which
        makes the form's project the file's own), its attestations included: a stranger
        re-sending someone's file learns nothing, and a no-op is never a success for a form
        that would be refused.
        """
        form, content = self._parse(request)
        now = self._clock()
        name = normalize(form.name)
        source = _Source(request.content_filename or "", content, form.comment,
                         (request.user_agent or "")[:200] or None)
        # Every check before validation reads in one transaction; record() repeats the ones
        # that could change meanwhile under the write lock.
        with self._db.read_connection() as connection:
            principal = self._authenticator.authenticate(request.credentials, project=name,
                                                         now=now, reading=connection)
            access = project_access(connection, name, principal)
            check_access(name, access, principal)
            claim = submitted(form.attestations, principal)
            limits = access.limits(self._limits) if access else self._limits
            received = receive(source.content, max_size=limits.max_file_size,
                               project=access.name if access else form.name)
            conflict: Conflict | None = None
            try:
                stored = existing_identical(connection, source.filename, received)
            except Conflict as clash:
                stored, conflict = False, clash
        dist = self._validate(form, source.filename, received, limits)
        if conflict is not None:
            raise conflict
        provenance = (None if claim is None else
                      verify_submitted(self._verifier, claim, dist.filename, received.sha256))
        if stored:
            return UploadOutcome(filename=source.filename, serial=None)
        return self._publish(source, received, dist, principal, now, provenance=provenance)

    def import_file(self, path: Path, *, principal: Principal,
                    policy: Policy = IMPORT_POLICY) -> UploadOutcome:
        """Publish a distribution from local disk (``strongroom admin import``).

        The file passes every check an upload does, except that the rules ``policy`` tolerates
        (by default the import policy's: historical forms an index has already published) are
        recorded on the file as warnings; only the form and the credentials are absent (the
        local ``principal`` is trusted as it is), so the file type comes from the extension
        and the project, whose limits apply, from the file name (which validation holds to the
        metadata's name). A provenance object beside the file (``<file>.provenance``, as an
        index serves it) is verified and kept with it. Raises like ``upload``.
        """
        filetype = _filetype_of(path.name)
        parsed, _problems = parse_filename(path.name, filetype)
        with path.open("rb") as content:
            source = _Source(path.name, content, None, "strongroom-import")
            with self._db.read_connection() as connection:
                access: ProjectAccess | None = None
                if parsed is not None:
                    access = project_access(connection, normalize(parsed.name_part), principal)
                limits = access.limits(self._limits) if access else self._limits
                received = receive(source.content, max_size=limits.max_file_size,
                                   project=access.name if access else
                                   parsed.name_part if parsed else None)
                if existing_identical(connection, source.filename, received):
                    return UploadOutcome(filename=source.filename, serial=None)
            dist = self._validate(None, source.filename, received, limits, policy=policy)
            # Validation holds the file name to the metadata's name: ``access`` is dist.name's.
            check_access(dist.name, access, principal)
            provenance = self._imported_provenance(path, dist.filename, received.sha256)
            return self._publish(source, received, dist, principal, self._clock(), policy=policy,
                                 provenance=provenance)

    def _imported_provenance(self, path: Path, filename: str, sha256: str
                             ) -> VerifiedProvenance | None:
        """The verified provenance object beside an imported file, if there is one."""
        beside = path.with_name(f"{path.name}.provenance")
        if not beside.is_file():
            return None
        try:
            return verify_provenance_file(self._verifier, beside.read_bytes(), filename, sha256)
        except UploadRejected as rejected:
            raise UploadRejected(rejected.problems, filename=filename) from None

    def _publish(self, source: _Source, received: ReceivedFile, dist: Distribution,
                 principal: Principal, now: dt.datetime, *, policy: Policy = UPLOAD_POLICY,
                 provenance: VerifiedProvenance | None = None) -> UploadOutcome:
        """Store -> record -> notify a validated (and attested) file, shared by both ways in."""
        filename = source.filename
        metadata = dist.metadata_file
        new = NewFile(
            dist=dist,
            received=received,
            metadata_sha256=hashlib.sha256(metadata).hexdigest() if metadata else None,
            metadata_blake2_256=(hashlib.blake2b(metadata, digest_size=32).hexdigest()
                                 if metadata else None),
            comment=source.comment,
            uploaded_via=source.uploaded_via,
            policy=policy,
            provenance=provenance,
        )
        self._store(new)
        recorded = self._record(new, principal, now)
        if recorded is None:
            return UploadOutcome(filename=filename, serial=None)
        written = recorded.written
        self._on_commit(written)
        if recorded.provenance_change is not None and self._on_provenance_change is not None:
            self._on_provenance_change(recorded.provenance_change)
        return UploadOutcome(filename=filename, serial=written.serial, warnings=dist.warnings)

    def _parse(self, request: UploadRequest) -> tuple[UploadForm, BinaryIO]:
        form, problems = parse_form(request.fields)
        if request.content is None and form is not None:
            problems.append(Problem("content", "Upload payload does not have a file."))
        if form is None or request.content is None or problems:
            raise UploadRejected(problems)
        return form, request.content

    def _validate(self, form: UploadForm | None, filename: str, received: ReceivedFile,
                  limits: Limits, *, policy: Policy = UPLOAD_POLICY) -> Distribution:
        """Inspect the file under the project's ``limits`` (its expansion cap follows its file
        limit) and ``policy``; UploadRejected lists every problem of the form and the file."""
        problems = digest_problems(form, received) if form else []
        filetype = form.filetype if form else _filetype_of(filename)
        try:
            dist = inspect_distribution(received.content, filename=filename, filetype=filetype,
                                        limits=limits, render=self._render, policy=policy)
        except UploadRejected as rejected:
            raise UploadRejected(problems + rejected.problems, filename=filename) from None
        if form is not None:
            problems += form_problems(form, dist)
        if problems:
            raise UploadRejected(problems, project=dist.display_name, filename=filename)
        return dist

    def _store(self, new: NewFile) -> None:
        """Store the file's blob, flushed to the disk before any row names it, and its metadata
        file's, which can be made again from the file and so is not flushed (its readers check
        it: ``IndexReader.locate_file``)."""
        new.received.content.seek(0)
        self._blobs.put(new.received.sha256, new.received.content)
        if new.dist.metadata_file is not None and new.metadata_sha256 is not None:
            self._blobs.put(new.metadata_sha256, io.BytesIO(new.dist.metadata_file), flush=False)

    def _record(self, new: NewFile, principal: Principal, now: dt.datetime
                ) -> Recorded | None:
        """The write transaction, once the blobs are stored."""
        try:
            with self._db.write_connection() as connection:
                return record(connection, new, principal, now=now, defaults=self._limits)
        except IntegrityError as exc:
            # Another upload took this name or these bytes since the checks before validation:
            # None when it was this very file, else the Conflict that names the clash.
            with self._db.read_connection() as connection:
                if existing_identical(connection, new.dist.filename, new.received):
                    return None
            raise Conflict(file_exists_message(new.dist.filename, new.received.blake2_256),
                           filename=new.dist.filename) from exc


@dataclass(frozen=True)
class _Source:
    """Where the bytes come from, and what the uploader said about them."""

    filename: str
    content: BinaryIO
    comment: str | None
    uploaded_via: str | None


def _filetype_of(filename: str) -> str:
    return "bdist_wheel" if filename.endswith(".whl") else "sdist"
