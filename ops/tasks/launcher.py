"""``make run``: the web server and one queue consumer together, stopped together.

    python -m ops.tasks.launcher [--host 127.0.0.1] [--port 5000] [--workers 1]

Starts ``flask run`` and ``flask ops worker`` as child processes. Ctrl-C (the terminal sends SIGINT
to both children and to this process) or SIGTERM stops both; when either child exits on its own,
the other is stopped too, so the page never waits on a queue nobody consumes. Each child also asks
the kernel for SIGTERM when this process dies (Linux ``PR_SET_PDEATHSIG``), so even a launcher
killed with SIGKILL leaves no orphan consumer behind.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

STOP_SECONDS = 10  # how long a child may take to finish its current work after SIGTERM/SIGINT
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: the signal handlers below still stop the children on Ctrl-C and SIGTERM


def commands(host: str, port: int, workers: int) -> list[list[str]]:
    flask = [sys.executable, "-m", "flask"]
    return [
        [*flask, "run", "--host", host, "--port", str(port)],
        [*flask, "ops", "worker", "--workers", str(workers)],
    ]


def _stop(children: list[subprocess.Popen]) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def launch(argvs: Sequence[Sequence[str]]) -> int:
    """Run the commands side by side until one exits or a signal arrives; stop the rest; the exit code
    of the first to exit (0 after Ctrl-C or SIGTERM)."""
    children: list[subprocess.Popen] = []
    stopping = False

    def on_signal(signum, _frame):
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for argv in argvs:
            children.append(subprocess.Popen(list(argv), preexec_fn=_die_with_parent))  # noqa: PLW1509
        code = 0
        while not stopping:
            exited = [child for child in children if child.poll() is not None]
            if exited:
                code = exited[0].returncode
                break
            time.sleep(0.2)
        return code
    finally:
        _stop(children)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The web server and one queue consumer, together.")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument("--workers", type=int, default=1, help="threads of the consumer")
    args = parser.parse_args(argv)
    return launch(commands(args.host, args.port, args.workers))


if __name__ == "__main__":
    sys.exit(main())
