"""``kill`` on a running ``kizuna lab`` stops its JupyterLab too, as Ctrl+C does: the session's
JupyterLab shuts down and no process of it stays behind (a real ``kizuna lab`` on the sample)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

TOKEN = "kizuna-stop-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def gone(pids: list[int], seconds: float) -> list[int]:
    """The processes of ``pids`` still running after up to ``seconds``."""
    deadline = time.monotonic() + seconds
    alive = pids
    while True:
        alive = [p for p in alive if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_kill_stops_the_jupyterlab_of_the_session(sample_path: Path, tmp_path: Path, signum: int) -> None:
    port = free_port()
    kizuna = Path(sys.executable).with_name("kizuna")
    log = (tmp_path / "lab.log").open("w")
    # its own session, so that the finally below can kill everything the test started
    proc = subprocess.Popen([str(kizuna), "-w", str(sample_path), "lab", "--no-browser", "--port", str(port),
                             "--token", TOKEN], stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "JUPYTER_PLATFORM_DIRS": "1"}, start_new_session=True)
    session: list[int] = []
    try:
        url = f"http://127.0.0.1:{port}/api/status?token={TOKEN}"
        deadline = time.monotonic() + 60
        while not answers(url):
            assert proc.poll() is None, (tmp_path / "lab.log").read_text()
            assert time.monotonic() < deadline, "JupyterLab did not answer within 60 s"
            time.sleep(0.2)
        session = [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
        assert any("jupyterlab" in " ".join(psutil.Process(p).cmdline()) for p in session)

        proc.send_signal(signum)  # only kizuna, as `kill PID` does
        proc.wait(30)
        assert gone(session, 5) == [], "JupyterLab still runs after kizuna lab was stopped"
        assert proc.returncode == 128 + signum  # what a shell reports for a process stopped by the signal
        assert not answers(url)
        assert "stopping JupyterLab" in (tmp_path / "lab.log").read_text()
    finally:
        for pid in [proc.pid, *session]:
            try:
                os.killpg(os.getpgid(pid), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        proc.wait(10)
        log.close()
