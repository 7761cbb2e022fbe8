"""``make run``'s launcher: the web server and the consumer start together and stop together."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ops.tasks import launcher

ROOT = Path(__file__).resolve().parent.parent.parent


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


def _wait_gone(pids, seconds=15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(_alive(pid) for pid in pids):
            return True
        time.sleep(0.1)
    return False


def _start(tmp_path, first_exits_after=None):
    """The launcher (as ``make run`` starts it) with two sleepers in place of flask run and the worker;
    each writes its pid to a file."""
    pids = [tmp_path / "web.pid", tmp_path / "worker.pid"]
    body = (
        "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(float(sys.argv[2]))"
    )
    durations = [first_exits_after or 600, 600]
    script = textwrap.dedent(
        f"""
        import sys
        from ops.tasks import launcher
        sys.exit(launcher.launch([
            [sys.executable, "-c", {body!r}, {str(pids[0])!r}, "{durations[0]}"],
            [sys.executable, "-c", {body!r}, {str(pids[1])!r}, "{durations[1]}"],
        ]))
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    deadline = time.monotonic() + 15
    while not all(p.exists() and p.read_text() for p in pids):
        assert time.monotonic() < deadline, "the children did not start"
        time.sleep(0.05)
    return process, [int(p.read_text()) for p in pids]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_to_the_launcher_stops_the_server_and_the_consumer(tmp_path, sig):
    process, children = _start(tmp_path)
    process.send_signal(sig)
    assert process.wait(timeout=20) == 0
    assert _wait_gone(children), "a child outlived the launcher"


def test_when_one_child_exits_the_other_is_stopped(tmp_path):
    process, children = _start(tmp_path, first_exits_after=0.5)
    assert process.wait(timeout=20) == 0
    assert _wait_gone(children)


def test_a_launcher_killed_with_sigkill_leaves_no_orphan_consumer(tmp_path):
    process, children = _start(tmp_path)
    process.kill()
    process.wait(timeout=10)
    assert _wait_gone(children), "an orphan survived its launcher"


def test_the_commands_are_the_flask_server_and_a_consumer():
    web, worker = launcher.commands("127.0.0.1", 5000, 2)
    assert web[-5:] == ["run", "--host", "127.0.0.1", "--port", "5000"]
    assert worker[-4:] == ["ops", "worker", "--workers", "2"]
