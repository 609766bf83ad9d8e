"""The CLI's process settings: one malloc arena on glibc, the user's MALLOC_ARENA_MAX respected."""

from __future__ import annotations

import ctypes.util
import platform
import subprocess
import sys

import pytest

from tests.conftest import REPO

_PROBE = "from ui.process import use_one_malloc_arena; print(use_one_malloc_arena())"


@pytest.mark.skipif(platform.system() != "Linux" or not ctypes.util.find_library("c"), reason="glibc only")
def test_one_arena_is_set_on_glibc() -> None:
    env = {"PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, cwd=REPO, env=env,
                          timeout=60)
    expected = "True" if platform.libc_ver()[0] == "glibc" else "False"
    assert done.stdout.strip() == expected, done.stderr


def test_the_users_own_setting_wins() -> None:
    env = {"PATH": "/usr/bin:/bin", "MALLOC_ARENA_MAX": "4"}
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, cwd=REPO, env=env,
                          timeout=60)
    assert done.stdout.strip() == "False", done.stderr
