"""A real `chroma run` server on a free loopback port, for the server-mode half of the store contract tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chroma_binary() -> str | None:
    beside_python = Path(sys.executable).with_name("chroma")
    return str(beside_python) if beside_python.exists() else shutil.which("chroma")


@contextmanager
def chroma_server(path: Path, *, timeout: float = 30.0) -> Iterator[str]:
    """Start `chroma run`, wait for its heartbeat, yield its URL, stop it."""
    binary = chroma_binary()
    if binary is None:
        raise RuntimeError("the `chroma` command of the chromadb package is not installed")
    port = free_port()
    log = (path / "server.log").open("wb")
    process = subprocess.Popen([binary, "run", "--path", str(path / "data"), "--host", "127.0.0.1",
                                "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = (path / "server.log").read_text()[-500:]
                    raise RuntimeError(f"chroma run did not start: {tail}") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
