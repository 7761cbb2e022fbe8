"""Shared pieces of the load, fault and backup checks: a throw-away instance, gunicorn, an HTTP client.

Nothing here touches the developer's own instance: every check makes its instance folder under a
temporary directory, talks to 127.0.0.1 only, and stops the processes it started.
"""

from __future__ import annotations

import hashlib
import http.client
import http.cookies
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin" if (ROOT / ".venv" / "bin" / "flask").exists() else Path(sys.executable).parent
DEMO_PASSWORD = "demo-2026"


class CheckFailed(Exception):
    """A check did not hold; the message says which."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def run_period_before(day) -> str:
    """The month just ended before ``day``, as a billing run names it ("2026-10")."""
    index = day.year * 12 + day.month - 2
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


class Instance:
    """An instance folder with its own database, uploads, keys and environment.

    The database is a SQLite file (in the folder, or ``db_file``, or a ``sqlite:///`` ``database_url``),
    or the PostgreSQL database of ``database_url`` (``postgresql+psycopg://user@host:port/name``), which
    ``prepare`` drops and creates empty: give it a throw-away database, never one whose rows matter.
    """

    def __init__(self, folder: Path, db_file: Path | None = None, database_url: str | None = None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.db = db_file or self.folder / "ops.db"
        if database_url and database_url.startswith("sqlite:///"):
            self.db = Path(database_url.removeprefix("sqlite:///"))
        self.database_url = database_url or f"sqlite:///{self.db}"
        self.dialect = "postgresql" if self.database_url.startswith("postgresql") else "sqlite"
        self.env = {
            **os.environ,
            "FLASK_APP": "app",
            "OPS_DATABASE_URL": self.database_url,
            "OPS_SECRET_KEY": secrets.token_urlsafe(32),
            "OPS_VAULT_KEY": fernet_key(),
            "OPS_UPLOAD_DIR": str(self.folder / "uploads"),
            "OPS_AUTO_MIGRATE": "0",
            "PYTHONUNBUFFERED": "1",
        }

    def flask(self, *args: str, timeout: float = 300) -> str:
        """Run ``flask <args>`` against this instance; its output, or CheckFailed when it fails."""
        return self.run([str(BIN / "flask"), *args], timeout=timeout)

    def python(self, script: Path, *args: str, timeout: float = 300) -> str:
        """Run a Python script (with the app's environment) against this instance."""
        return self.run([str(BIN / "python"), str(script), *args], timeout=timeout)

    def run(self, argv: list[str], timeout: float) -> str:
        done = subprocess.run(argv, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise CheckFailed(
                f"{' '.join(argv[:3])} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
            )
        return done.stdout

    def prepare(self) -> str:
        """Migrations, the demo data set and a staff API token, in one process; returns the token's secret."""
        if self.dialect == "postgresql":
            self.reset_database()
        out = self.python(Path(__file__), "prepare")
        return out.strip().splitlines()[-1]

    def add_token(self) -> str:
        """Only the staff API token (an instance that already has its data); returns its secret."""
        out = self.python(Path(__file__), "token")
        return out.strip().splitlines()[-1]

    @property
    def database_name(self) -> str:
        from sqlalchemy.engine import make_url

        return str(make_url(self.database_url).database)

    def reset_database(self) -> None:
        """(PostgreSQL) Drop the database if it exists, with any session still on it, and create it empty."""
        import psycopg

        name = self.database_name
        with psycopg.connect(_libpq(self.database_url, "postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')

    def drop_database(self, wait: float = 60) -> None:
        """(PostgreSQL) Drop the database, once the check is done with it. Not a check: when the drop
        has not finished within ``wait`` seconds (DROP DATABASE waits until every session on the
        server has taken note of it, and one session in a stalled COPY FROM STDIN never does), the
        database is left and says so."""
        import psycopg

        try:
            with psycopg.connect(_libpq(self.database_url, "postgres"), autocommit=True) as admin:
                admin.execute(f"SET statement_timeout = {int(wait * 1000)}")
                admin.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')
        except psycopg.Error as exc:
            print(f"  note: the database {self.database_name} was left in place ({str(exc).strip()[:200]})")

    def connect(self, path: Path | None = None):
        """A read-only connection to the database (the checks never write through it): sqlite3's, or
        for PostgreSQL a psycopg connection that takes the same ``?`` placeholders."""
        if self.dialect == "postgresql":
            return PgConnection(self.database_url)
        conn = sqlite3.connect(f"file:{path or self.db}?mode=ro", uri=True, timeout=30)
        conn.execute("PRAGMA busy_timeout=30000")
        return conn


def _libpq(database_url: str, database: str | None = None) -> str:
    """A SQLAlchemy URL (``postgresql+psycopg://…``) as libpq's, optionally naming another database."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url).set(drivername="postgresql")
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


class PgConnection:
    """A read-only psycopg connection with sqlite3's ``execute(sql, params)`` and ``?`` placeholders,
    so the checks' queries run unchanged on both databases (none of them holds a literal ``?`` or ``%``).
    Used as a context manager it closes on exit (sqlite3's only ends the transaction)."""

    def __init__(self, database_url: str):
        import psycopg

        self.conn = psycopg.connect(_libpq(database_url), autocommit=True)
        self.conn.execute("SET default_transaction_read_only = on")

    def execute(self, sql: str, params=()):
        return self.conn.execute(sql.replace("?", "%s"), params)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> PgConnection:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def in_app(func):
    """Run ``func(*argv)`` inside the app's context (for the small set-up tasks the scripts run as subprocesses)."""
    sys.path.insert(0, str(ROOT))
    from ops import create_app

    app = create_app()
    with app.app_context():
        return func(*sys.argv[2:])


def _prepare_task() -> None:
    """(in the app) What ``flask db upgrade`` and ``flask ops demo`` do, then a staff API token (printed)."""
    from flask_migrate import upgrade

    from ops.billing.services import finish_pdfs
    from ops.demo import load_demo
    from ops.extensions import db

    upgrade(directory=str(ROOT / "migrations"))
    load_demo()
    db.session.commit()
    finish_pdfs(idle_seconds=0)  # as `flask ops demo`: the issued PDFs stored here, no consumer running
    _token_task()


def _token_task() -> None:
    """(in the app) A staff API token that may write usage, clients and payments (printed)."""
    from ops.auth.scopes import BILLING_WRITE, CLIENTS_WRITE, READ, USAGE_WRITE
    from ops.auth.tokens import create_token
    from ops.extensions import db

    _token, secret = create_token("压测令牌", None, scopes=(READ, USAGE_WRITE, CLIENTS_WRITE, BILLING_WRITE))
    db.session.commit()
    print(secret)


_LOG_PROBLEMS = ("Traceback", "database is locked", "WORKER TIMEOUT", "SIGKILL", "Error handling request")


class Server:
    """gunicorn serving an instance on a free 127.0.0.1 port; a context manager that always stops it."""

    def __init__(self, instance: Instance, workers: int = 4, log_name: str = "gunicorn.log"):
        self.instance = instance
        self.workers = workers
        self.port = free_port()
        self.log_path = instance.folder / log_name
        self.process: subprocess.Popen | None = None

    def start(self, wait: float = 90) -> Server:
        # 90 s: four workers importing the app at once took over 30 s on a busy 2-core machine
        log = open(self.log_path, "w")  # noqa: SIM115  (handed to the child process, closed just after)
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}", "app:app"],
            cwd=ROOT,
            env=self.instance.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CheckFailed(f"gunicorn exited {self.process.returncode}:\n{self.log_tail()}")
            try:
                if HttpClient(self.port, timeout=2).get("/login").status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()  # __exit__ never runs when __enter__ raises: a server left running would outlive the check
        raise CheckFailed(f"gunicorn did not answer within {wait:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # gunicorn's own process group (start_new_session)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def cpu_seconds(self) -> float:
        """CPU seconds (user + system) the master and its live workers have used so far, from Linux's
        /proc (a worker that was replaced takes its time with it)."""
        if self.process is None:
            return 0.0
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()  # after "pid (command)"
            except OSError:
                continue  # a process that ended meanwhile
            if stat.parent.name == str(self.process.pid) or fields[1] == str(self.process.pid):
                total += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat(5)
        return total / os.sysconf("SC_CLK_TCK")

    def idle_cpu_seconds(self, timeout: float = 60) -> float:
        """``cpu_seconds()`` once the server is idle: the first worker to answer does not mean the others
        have finished importing the app, and their start-up is not the load's. Idle: under 0.05 CPU
        seconds in a second (or ``timeout`` passed)."""
        deadline = time.monotonic() + timeout
        before = self.cpu_seconds()
        while time.monotonic() < deadline:
            time.sleep(1)
            now = self.cpu_seconds()
            if now - before < 0.05:
                return now
            before = now
        return before

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def log_problems(self) -> list[str]:
        """Tracebacks and lock errors the workers logged (an error page can hide them from the client)."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        lines = text.splitlines()
        return [line for line in lines if any(word in line for word in _LOG_PROBLEMS)]

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    seconds: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


_CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
_VALUE = re.compile(r'value="([^"]*)"')


class HttpClient:
    """A tiny browser: one connection to 127.0.0.1, cookies kept, redirects not followed."""

    def __init__(self, port: int, timeout: float = 60):
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> Response:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            raw = self.conn.getresponse()
            data = raw.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            raise
        seconds = time.perf_counter() - started
        for header in raw.headers.get_all("Set-Cookie") or []:
            cookie = http.cookies.SimpleCookie()
            cookie.load(header)
            for key, morsel in cookie.items():
                if morsel["expires"] and "1970" in morsel["expires"] or morsel["max-age"] == "0":
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = morsel.value
        if raw.getheader("Connection", "").lower() == "close":
            self.conn.close()  # gunicorn's sync workers close after each response; reconnect next time
        return Response(raw.status, raw.headers, data, seconds)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict) -> Response:
        return self.request(
            "POST",
            path,
            urllib.parse.urlencode(fields).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )

    def login(self, username: str, password: str = DEMO_PASSWORD) -> None:
        page = self.get("/login")
        match = _CSRF_INPUT.search(page.text)
        if page.status != 200 or not match:
            raise CheckFailed(f"login page: status {page.status}, no CSRF token")
        token = _VALUE.search(match.group(0)).group(1)
        answer = self.post_form(
            "/login", {"csrf_token": token, "username": username, "password": password, "next": ""}
        )
        if answer.status != 302 or "/login" in answer.location:
            raise CheckFailed(f"login as {username}: status {answer.status} {answer.location}")


def percentile(sorted_values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of an ascending list."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(p / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def integrity_ok(conn: sqlite3.Connection) -> bool:
    return (
        conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        and not conn.execute("PRAGMA foreign_key_check").fetchall()
    )


def pdf_mismatches(conn: sqlite3.Connection) -> list[str]:
    """Invoices with a number whose stored PDF is missing or does not hash to its pdf_sha256."""
    bad = []
    for number, pdf, digest in conn.execute(
        "SELECT number, pdf, pdf_sha256 FROM invoices WHERE number IS NOT NULL ORDER BY id"
    ):
        if pdf is None or digest is None or sha256(pdf) != digest or not bytes(pdf).startswith(b"%PDF"):
            bad.append(number)
    return bad


TASKS = {"prepare": _prepare_task, "token": _token_task}

if __name__ == "__main__":
    in_app(TASKS[sys.argv[1]])
