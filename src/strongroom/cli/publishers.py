"""``strongroom admin publisher``: trusted publishers of projects, and pending ones, as the
local administrator (who may do what an Owner may)."""

from __future__ import annotations

from pathlib import Path

import click

from strongroom.cli.options import open_state, state_options
from strongroom.cli.projects import ADMIN
from strongroom.cli.rows import print_rows
from strongroom.config import Settings
from strongroom.oidc import (
    Issuers,
    PendingView,
    PublisherInput,
    PublisherService,
    PublisherView,
    Registration,
    parse_registration,
)


def _service(data_dir: Path | None, config_file: Path | None
             ) -> tuple[Settings, PublisherService]:
    settings, db = open_state(data_dir, config_file)
    return settings, PublisherService(db, pending_lifetime=settings.pending_publisher_lifetime)


@click.group()
def publisher() -> None:
    """Manage trusted publishers: the CI workflows that may publish a project (README,
    Trusted publishing)."""


@publisher.command("add")
@click.argument("project")
@click.option("--kind", required=True,
              help="github, gitlab, google, or the name of another trusted issuer.")
@click.option("--repository", default="", help="GitHub owner/name, GitLab namespace/project.")
@click.option("--workflow", default="",
              help="GitHub: the workflow file's name (release.yml); GitLab: the CI file's path.")
@click.option("--environment", default="", help="Only runs in this deployment environment.")
@click.option("--owner-id", default="", help="GitHub: the owner's numeric id (else pinned at "
                                             "first use).")
@click.option("--issuer", default="", help="Which trusted issuer of the kind (default: the "
                                           "first listed).")
@click.option("--email", default="", help="Google: the service account's address.")
@click.option("--subject", default="", help="The exact sub claim (another issuer; Google, "
                                            "optionally).")
@click.option("--claim", "claims", multiple=True, help="Another issuer: name=value a token "
                                                       "must carry too (repeatable).")
@click.option("--pending", is_flag=True, help="For a project that does not exist yet: the "
                                              "first token request makes it.")
@click.option("--owner", default="", help="With --pending: the user who becomes its Owner.")
@state_options
def publisher_add(project: str, kind: str, repository: str, workflow: str, environment: str,
                  owner_id: str, issuer: str, email: str, subject: str, claims: tuple[str, ...],
                  pending: bool, owner: str, data_dir: Path | None,
                  config_file: Path | None) -> None:
    """Let a CI identity publish PROJECT (or, with --pending, make it)."""
    settings, service = _service(data_dir, config_file)
    registration = parse_registration(Issuers.from_settings(settings), PublisherInput(
        kind, issuer=issuer, repository=repository, workflow=workflow, environment=environment,
        owner_id=owner_id, email=email, subject=subject, claims=claims))
    if pending:
        if not owner:
            raise click.UsageError("--pending needs --owner, the user who will own the project")
        added = service.add_pending(project, registration, owner=owner, by=ADMIN)
        click.echo(f"{added.name} may make project {project} (pending publisher {added.id}, "
                   f"owner {added.username}, until {added.expires:%Y-%m-%d} UTC)", err=True)
        return
    view = service.add(project, registration, by=ADMIN)
    click.echo(f"{view.name} may publish {project} (publisher {view.id})", err=True)


@publisher.command("list")
@click.argument("project", required=False)
@click.option("--pending", is_flag=True, help="List the pending publishers instead.")
@state_options
def publisher_list(project: str | None, pending: bool, data_dir: Path | None,
                   config_file: Path | None) -> None:
    """A project's publishers, or every pending one: a table on a terminal, else one
    tab-separated line each of id, publisher, issuer, then added and by (pending: project,
    owner, expires)."""
    _settings, service = _service(data_dir, config_file)
    if pending:
        print_rows("Pending publishers", ("id", "publisher", "issuer", "project", "owner",
                                          "expires"),
                   [_pending_row(view) for view in service.pending()],
                   empty="no pending publishers")
        return
    if project is None:
        raise click.UsageError("name a project, or give --pending")
    print_rows(f"Trusted publishers of {project}", ("id", "publisher", "issuer", "added", "by"),
               [_row(view) for view in service.for_project(project)],
               empty=f"project {project!r} has no trusted publishers")


@publisher.command("remove")
@click.argument("project", required=False)
@click.argument("publisher_id", metavar="ID", type=int)
@click.option("--pending", is_flag=True, help="Remove the pending publisher ID (no PROJECT).")
@state_options
def publisher_remove(project: str | None, publisher_id: int, pending: bool,
                     data_dir: Path | None, config_file: Path | None) -> None:
    """Stop publisher ID publishing PROJECT (its tokens stop working there at once), or
    delete a pending publisher."""
    _settings, service = _service(data_dir, config_file)
    if pending:
        gone: PendingView | PublisherView = service.remove_pending(publisher_id, by=ADMIN)
    elif project is None:
        raise click.UsageError("name the project, or give --pending")
    else:
        gone = service.remove(project, publisher_id, by=ADMIN)
    click.echo(f"removed {gone.name}", err=True)


def _identity(registration: Registration) -> str:
    return registration.issuer.url


def _row(view: PublisherView) -> tuple[str, ...]:
    return (str(view.id), view.name, _identity(view.registration),
            f"{view.added:%Y-%m-%d %H:%M:%S} UTC", view.added_by)


def _pending_row(view: PendingView) -> tuple[str, ...]:
    return (str(view.id), view.name, _identity(view.registration), view.project, view.username,
            f"{view.expires:%Y-%m-%d %H:%M:%S} UTC")
