"""`make lab` starts JupyterLab on the notebooks, as root too, and says where it listens."""

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.skipif(shutil.which("make") is None or os.name != "posix", reason="needs make (POSIX)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_lab_adds_allow_root_only_for_root():
    """Regression (issue 11): as root, jupyter refused to start ('Running as root is not recommended')."""
    out = subprocess.run(["make", "-n", "-s", "lab", "LAB_PORT=8123"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    cmd = next(ln for ln in out.splitlines() if "jupyter lab" in ln)
    assert ("--allow-root" in cmd) == (os.geteuid() == 0)
    assert "--ServerApp.port=8123" in cmd and "http://127.0.0.1:8123/lab" in out


@pytest.mark.slow
def test_make_lab_starts_and_listens_where_it_says(tmp_path):
    port = _free_port()
    p = subprocess.Popen(["make", "-s", "lab", f"LAB_PORT={port}", "LAB_ARGS=--no-browser"], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                         env={**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path), "JUPYTER_CONFIG_DIR": str(tmp_path)})
    lines = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            lines.append(line)
            if f"127.0.0.1:{port}/lab?token=" in line:  # jupyter's own 'is running at' line
                break
        said = [i for i, ln in enumerate(lines) if f"http://127.0.0.1:{port}/lab" in ln and "token=" not in ln]
        told = [i for i, ln in enumerate(lines) if f"127.0.0.1:{port}/lab?token=" in ln]
        assert told, "".join(lines)[-2000:]
        # make says where before jupyter's own log does (a stale .venv may be rebuilt first)
        assert said and said[0] < told[0], lines[:5]
        for _ in range(20):  # the log line can come a moment before the socket accepts
            try:
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
                break
            except ConnectionRefusedError:
                time.sleep(0.5)
        else:
            pytest.fail(f"nothing listens on port {port}")
    finally:
        os.killpg(p.pid, signal.SIGTERM)  # make and the jupyter it started (their own session)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
