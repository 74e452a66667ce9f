"""An interrupted report batch stops: SIGTERM to the batch's process stops its pool workers
and their kernels too (they used to go on writing reports as orphans)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SAMPLE = Path(__file__).parents[2] / "data" / "sample"

pytestmark = [pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
              pytest.mark.xdist_group("batch")]


def _stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, state) of a live process, None when gone."""
    try:
        tail = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return int(tail[1]), tail[0]


def _alive(pid: int) -> bool:
    st = _stat(pid)
    return st is not None and st[1] not in ("Z", "X")


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and (st := _stat(int(d.name))) is not None:
            children.setdefault(st[0], []).append(int(d.name))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def test_sigterm_stops_the_batch_its_workers_and_their_kernels(tmp_path):
    out = tmp_path / "out"
    p = subprocess.Popen([sys.executable, "-m", "evalkit", "reports", str(SAMPLE), "--year", "2024",
                          "--out", str(out), "--jobs", "2", "--format", "html"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen: set[int] = set()
    deadline = time.time() + 120
    while time.time() < deadline and p.poll() is None:  # until the workers run notebooks
        seen |= _descendants(p.pid)
        if any("ipykernel" in _cmdline(x) for x in seen):
            break
        time.sleep(0.1)
    assert p.poll() is None, "the batch ended before a kernel started"
    time.sleep(0.5)
    seen |= _descendants(p.pid)
    p.send_signal(signal.SIGTERM)  # to the batch's own process only, as `kill PID` does
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130, err.decode("utf-8", "replace")[-2000:]
    assert "Traceback" not in err.decode("utf-8", "replace")
    deadline = time.time() + 30
    while time.time() < deadline and any(_alive(x) for x in seen):
        time.sleep(0.2)
    left = {x: _cmdline(x) for x in seen if _alive(x)}
    assert not left, f"still running after the batch stopped: {left}"
    assert not (out / "manifest.json").exists()
    # no staged half-report is left (a report finished before the signal may stay, complete)
    assert not [f for f in (out / ".work").rglob("*") if f.is_file()] if (out / ".work").exists() else True
