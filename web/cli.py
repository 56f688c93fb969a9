"""The command line, a thin layer over the app: ``python -m web.cli COMMAND``.

    init                              first run: the cooperative and its first coordinator
                                      (asks, or takes flags and --password-stdin)
    partner, assistant, resident, user, shifts
                                      onboarding, as the coordinator's pages (see --help)
    serve [--demo] [--port 8000]      run the planner with waitress and one planning worker
                                      (the demo: a fresh seeded day)
          [--threads 4] [--no-worker] requests served at once; no worker beside it
    worker [--threads 1]              a planning worker (start more, on any machine that
                                      reaches the database and the queue)
    create-organisation SLUG NAME     a cooperative on the service [--area] [--time-zone]
    create-service-admin NAME         a login that creates organisations (sees no residents)
    create-coordinator NAME [--org]   a cooperative's coordinator (password asked, or stdin)
    create-privacy-officer NAME [--org]  reads the cooperative's access log (nothing else)
    db-upgrade                        bring the database to the newest schema
    backup PATH                       a consistent, checked copy of the database (app running)
    restore PATH [--yes]              replace the database with a backup (server stopped)
    set-password NAME                 a new password; every session of that user ends
    purge [--dry-run]                 remove what is past its retention period (counts per table)
    export-resident ID [--pdf] [--out PATH]   everything stored about a resident (AVG art. 15)
    erase-resident ID [--yes]         erase a resident (AVG art. 17); anonymous counts remain
    access-report ID [--pdf] [--out PATH]     who accessed a resident's data (NEN 7513)

The resident commands are written to the access log as role "cli", on behalf of the system
user running them.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import click
from flask.cli import FlaskGroup, with_appcontext

from . import cli_admin, create_app, tenancy, today
from .auth import create_user
from .db import app_object, new_session


def _app(**_ignored):
    return create_app()


@click.group(cls=FlaskGroup, create_app=_app, add_default_commands=False)
def cli():
    """Buurtroute planner."""


ORG_OPTION = click.option("--org", "slug", default=None,
                          help="The cooperative (its short name); needed when there are several.")
PASSWORD_OPTION = click.option("--password-stdin", is_flag=True,
                               help="Read the password from standard input.")


@cli.command("create-organisation")
@click.argument("slug")
@click.argument("name")
@click.option("--area", default=None, help="Its area (default: the service's).")
@click.option("--time-zone", default="Europe/Amsterdam", show_default=True)
@with_appcontext
def create_organisation(slug: str, name: str, area: str | None, time_zone: str):
    """Add a cooperative to the service."""
    from . import organisations, tenancy

    session = new_session()
    try:
        with tenancy.system(session, "cli create-organisation"):
            organisations.create(session, slug, name, area, time_zone)
            session.commit()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        session.close()
    click.echo(f"Organisation {slug!r} created.")


@cli.command("create-service-admin")
@click.argument("username")
@PASSWORD_OPTION
@with_appcontext
def create_service_admin(username: str, password_stdin: bool):
    """Create a service admin: adds organisations and their first coordinator."""
    _create_login(username, "service_admin", password_stdin, None)
    click.echo(f"Service admin {username!r} created.")


@cli.command("create-coordinator")
@click.argument("username")
@ORG_OPTION
@PASSWORD_OPTION
@with_appcontext
def create_coordinator(username: str, slug: str | None, password_stdin: bool):
    """Create a coordinator login of a cooperative."""
    _create_login(username, "coordinator", password_stdin, _org(slug))
    click.echo(f"Coordinator {username!r} created.")


@cli.command("create-privacy-officer")
@click.argument("username")
@ORG_OPTION
@PASSWORD_OPTION
@with_appcontext
def create_privacy_officer(username: str, slug: str | None, password_stdin: bool):
    """Create a privacy officer's login: reads the cooperative's access log, nothing else."""
    _create_login(username, "privacy_officer", password_stdin, _org(slug))
    click.echo(f"Privacy officer {username!r} created.")


def _org(slug: str | None) -> int:
    """The id of the cooperative ``slug``; without one, the only cooperative there is."""
    from sqlalchemy import select

    from . import tenancy
    from .store import Organisation

    session = new_session()
    try:
        with tenancy.system(session, "cli: which organisation"):
            query = select(Organisation.id, Organisation.slug)
            rows = session.execute(query.where(Organisation.slug == slug) if slug else query
                                   ).all()
    finally:
        session.close()
    if slug and not rows:
        raise click.ClickException(f"org: there is no organisation {slug!r}")
    if not rows:
        raise click.ClickException("org: there is no organisation yet; create-organisation "
                                   "first")
    if len(rows) > 1:
        raise click.ClickException("org: name the organisation (--org), one of: "
                                   + ", ".join(r.slug for r in rows))
    return rows[0].id


def _create_login(username: str, role: str, password_stdin: bool, org_id: int | None) -> None:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    session = new_session()
    try:
        create_user(session, username, password, role, org_id=org_id)
        session.commit()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        session.close()

for _command in cli_admin.COMMANDS:  # init, partner, assistant, shifts, resident, user
    cli.add_command(_command)


@cli.command("db-upgrade")
def db_upgrade():
    """Migrate the database to the newest schema (the app also does it when it starts,
    unless BUURTROUTE_AUTO_MIGRATE=false)."""
    from . import migrate

    app = create_app({"AUTO_MIGRATE": False})
    engine = app.extensions["buurtroute.engine"]
    before = migrate.upgrade(engine)
    after = migrate.current(engine)
    click.echo(f"Database upgraded from {before or 'empty'} to {after}." if before != after
               else f"Database is at the newest schema ({after}).")


@cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path):
    """Back the database up to PATH (SQLite online backup, or pg_dump), while the app runs."""
    from . import backup

    try:
        click.echo(backup.backup(_database_url(), path))
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path: Path, yes: bool):
    """Replace the database with the backup at PATH. Stop the server first."""
    from . import backup

    url = _database_url()
    if not yes:
        click.confirm(f"Replace the database {url.rsplit('/', 1)[-1]} with {path}?", abort=True)
    try:
        click.echo(backup.restore(url, path))
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc


def _database_url() -> str:
    """The database of the app the command runs in (its configuration, as ``serve`` uses)."""
    from flask import current_app

    current_app.extensions["buurtroute.engine"].dispose()  # no pooled connection in the way
    return current_app.config["DATABASE_URL"]


@cli.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def set_password_command(username: str, password_stdin: bool):
    """Give a login a new password; every open session of that user ends."""
    from sqlalchemy import select

    from .auth import set_password
    from .store import User

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    session = new_session()
    try:
        with tenancy.system(session, "cli set-password"):
            user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise click.ClickException(f"there is no user {username!r}")
        set_password(session, user, password)
        session.commit()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        session.close()
    click.echo(f"Password of {username!r} changed; their sessions have ended.")


@cli.command("serve", context_settings={"ignore_unknown_options": True})
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--demo", is_flag=True, help="Start on a fresh database with a seeded demo day.")
@click.option("--demo-password", default=None, help="Password for every demo account "
              "(default: a random one, printed).")
@click.option("--area", default=None, help="Area name (default: Utrecht Oost if downloaded, "
              "else the offline demo area).")
@click.option("--worker/--no-worker", default=True, show_default=True,
              help="Start one planning worker beside the web server.")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64),
              help="Requests served at once (waitress threads).")
def serve(host: str, port: int, demo: bool, demo_password: str | None, area: str | None,
          worker: bool, threads: int):
    """Serve the planner with waitress on http://HOST:PORT (and a planning worker)."""
    import waitress

    config = {"AREA": area} if area else {}
    if demo:
        instance = Path(__file__).resolve().parent.parent / "instance"
        instance.mkdir(exist_ok=True)
        database = instance / "demo.sqlite"
        for name in ("demo.sqlite", "queue.sqlite"):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{instance / name}{suffix}").unlink(missing_ok=True)
        config["DATABASE_URL"] = f"sqlite:///{database}"
    app = create_app(config)
    with app.app_context():
        from .areas import current_area

        loaded = current_area()
        click.echo(f"Area: {loaded.title}")
        if demo:
            from .demo import seed

            session = new_session()
            accounts = seed(session, loaded, today(app), password=demo_password)
            session.close()
            click.echo(f"Demo day {today(app)} seeded. Accounts (password for all: "
                       f"{accounts.password}):")
            for username, role, whose in accounts.users:
                click.echo(f"  {username:<12} {role:<12} {whose}")
            for partner, token in accounts.tokens.items():
                click.echo(f"  API token of {partner}: {token}")
            for problem in accounts.skipped:
                click.echo(f"  demo order not stored: {problem}")
    child = _start_worker(app) if worker else None
    click.echo(f"Buurtroute on http://{host}:{port}/  (Ctrl+C stops)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop the worker with the server
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="buurtroute")
    finally:
        if child is not None:
            child.terminate()
            child.wait(30)


def _start_worker(app):
    """One worker process on the same database and queue as this server."""
    import os
    import subprocess

    from .jobs import die_with_parent

    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"],
           "BUURTROUTE_INSTANCE_PATH": app.instance_path}
    for key in ("AREA", "QUEUE", "QUEUE_PATH", "REDIS_URL"):
        if app.config.get(key):
            env[f"BUURTROUTE_{key}"] = str(app.config[key])
    child = subprocess.Popen([sys.executable, "-m", "web.cli", "worker"], env=env,
                             preexec_fn=lambda: die_with_parent(signal.SIGTERM))
    click.echo(f"Planning worker started (pid {child.pid}, queue {app.config['QUEUE']}).")
    return child


@cli.command("worker")
@click.option("--threads", default=1, show_default=True, type=int,
              help="Days planned at once by this process.")
def worker(threads: int):
    """Plan days from the queue until stopped (Ctrl+C or SIGTERM)."""
    from .jobs import run_worker

    app = create_app()
    run_worker(app, workers=threads)


@cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would go; remove nothing.")
@with_appcontext
def purge_command(dry_run: bool):
    """Remove what is past its retention period (RETAIN_* settings); rows per table."""
    from . import retention
    from .store import utcnow

    app = app_object()
    removed = retention.purge_all(app, today(app), utcnow(), dry_run=dry_run)
    click.echo("would remove (dry run):" if dry_run else "removed:")
    for table, count in removed.items():
        if table == "counted_in_stats":
            click.echo(f"  {count:>7}  orders counted into daily_stats first")
        else:
            click.echo(f"  {count:>7}  rows of {table}")


def _cli_who():
    import getpass

    from .access import Who

    try:
        user = getpass.getuser()
    except Exception:  # no user name in a bare container
        user = "unknown"
    return Who(None, "cli", None, f"cli:{user}"[:80])


def _resident(session, resident_id: int, erased_too: bool = False):
    """The resident (any cooperative: the CLI is the service's operator); the session is
    scoped to the resident's cooperative from here on. ``erased_too``: a resident who was
    erased is known by the access log rows about them (None is answered)."""
    from sqlalchemy import select

    from . import tenancy
    from .store import AccessLog, Resident, get

    with tenancy.system(session, "cli: whose resident"):
        resident = get(session, Resident, resident_id)
        org = resident.org_id if resident is not None else session.scalar(
            select(AccessLog.org_id).where(AccessLog.resident_id == resident_id,
                                           AccessLog.org_id.is_not(None)).limit(1))
    if resident is None and not (erased_too and org):
        raise click.ClickException(f"resident: there is no resident {resident_id}")
    tenancy.use(session, tenancy.of(org, why="cli"))
    return resident


def _emit(data: bytes, out: Path | None) -> None:
    if out is None:
        sys.stdout.buffer.write(data)
        return
    from .files import write_private

    write_private(out, data)
    click.echo(f"written to {out} (readable by its owner only)", err=True)


def _document(content: dict, pdf_template: str | None, **context) -> bytes:
    """``content`` as indented JSON, or rendered by ``pdf_template`` into a PDF (inside a
    request context)."""
    if pdf_template is None:
        return (json.dumps(content, ensure_ascii=False, indent=2) + "\n").encode()
    from flask import render_template

    from .pdf import html_to_pdf

    return html_to_pdf(render_template(pdf_template, **context))


@cli.command("export-resident")
@click.argument("resident_id", type=int)
@click.option("--pdf", "as_pdf", is_flag=True, help="A PDF instead of JSON.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (0600) instead of standard output.")
@with_appcontext
def export_resident(resident_id: int, as_pdf: bool, out: Path | None):
    """Everything stored about one resident (AVG art. 15), as JSON or PDF."""
    from flask import current_app

    from . import access, rights

    session = new_session()
    try:
        data = rights.export(session, _resident(session, resident_id))
        with current_app.test_request_context():
            body = _document(data, "privacy/export_pdf.html" if as_pdf else None, data=data)
        access.write(session, _cli_who(), [access.row(resident_id, "export", "all",
                                                      "pdf" if as_pdf else "json")],
                     "cli export-resident")
        session.commit()
    finally:
        session.close()
    _emit(body, out)


@cli.command("erase-resident")
@click.argument("resident_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def erase_resident(resident_id: int, yes: bool):
    """Erase one resident (AVG art. 17): only anonymous counts remain."""
    from flask import current_app

    from . import access, rights

    session = new_session()
    try:
        resident = _resident(session, resident_id)
        if not yes:
            click.confirm(f"Erase resident {resident_id} and all their orders for good?",
                          abort=True)
        try:
            counts = rights.erase(session, resident, today(current_app, tenancy.zone(session)))
        except rights.Refused as exc:
            session.rollback()
            raise click.ClickException(f"{exc.field}: {exc}") from exc
        access.write(session, _cli_who(), [access.row(resident_id, "erase", "all", "cli")],
                     "cli erase-resident")
        session.commit()
    finally:
        session.close()
    click.echo(f"Resident {resident_id} erased: " + ", ".join(
        f"{table} {n}" for table, n in counts.items()))


@cli.command("access-report")
@click.argument("resident_id", type=int)
@click.option("--pdf", "as_pdf", is_flag=True, help="A PDF instead of JSON.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (0600) instead of standard output.")
@with_appcontext
def access_report_command(resident_id: int, as_pdf: bool, out: Path | None):
    """Who accessed one resident's data, when, in which role (for the resident)."""
    from flask import current_app, g

    from . import access, privacy

    session = new_session()
    try:
        _resident(session, resident_id, erased_too=True)
        with current_app.test_request_context():
            g.db = session  # the report reads through the request's session
            data = privacy.access_report(resident_id)
            body = _document(data, "privacy/report_pdf.html" if as_pdf else None, report=data)
            g.pop("db")
        access.write(session, _cli_who(), [access.row(resident_id, "export", "access_log",
                                                      "pdf" if as_pdf else "json")],
                     "cli access-report")
        session.commit()
    finally:
        session.close()
    _emit(body, out)


if __name__ == "__main__":
    cli()
