"""The command line, a thin layer over the app: ``python -m web.cli COMMAND``.

    serve [--demo] [--port 8000]      run the planner with waitress and one planning worker
                                      (the demo: a fresh seeded day)
    worker [--threads 1]              a planning worker (start more, on any machine that
                                      reaches the database and the queue)
    create-coordinator NAME           the first login (password asked, or from stdin)
    create-privacy-officer NAME       a login that reads the access log (and nothing else)
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

from . import create_app, today
from .auth import create_user
from .db import app_object, new_session


def _app(**_ignored):
    return create_app()


@click.group(cls=FlaskGroup, create_app=_app, add_default_commands=False)
def cli():
    """Buurtroute planner."""


@cli.command("create-coordinator")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_coordinator(username: str, password_stdin: bool):
    """Create a coordinator login (the first account of a fresh installation)."""
    _create_login(username, "coordinator", password_stdin)
    click.echo(f"Coordinator {username!r} created.")


@cli.command("create-privacy-officer")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_privacy_officer(username: str, password_stdin: bool):
    """Create a privacy officer's login: reads the access log, nothing else."""
    _create_login(username, "privacy_officer", password_stdin)
    click.echo(f"Privacy officer {username!r} created.")


def _create_login(username: str, role: str, password_stdin: bool) -> None:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    session = new_session()
    try:
        create_user(session, username, password, role)
        session.commit()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        session.close()

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
def serve(host: str, port: int, demo: bool, demo_password: str | None, area: str | None,
          worker: bool):
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
        waitress.serve(app, host=host, port=port, threads=4, ident="buurtroute")
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
    session = new_session()
    try:
        removed = retention.purge(session, today(app), utcnow(),
                                  retention.Periods.from_config(app.config), dry_run=dry_run)
    finally:
        session.close()
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


def _resident(session, resident_id: int):
    from .store import Resident, get

    resident = get(session, Resident, resident_id)
    if resident is None:
        raise click.ClickException(f"resident: there is no resident {resident_id}")
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
            counts = rights.erase(session, resident, today(current_app))
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
