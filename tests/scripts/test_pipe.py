"""Output piped into a program that stops reading early (``| head``) ends quietly."""

from __future__ import annotations

import os
import subprocess
import sys


def test_output_into_a_closed_pipe_ends_without_an_error() -> None:
    code = (
        "import sys; from carecircle.scripts.cli import main; "
        "sys.exit(main(['profiles', 'show', 'shanghai']))"
    )
    # the reader has gone before the first line is written, as `| head -1` is after line one
    with subprocess.Popen([sys.executable, "-c", "pass"], stdin=subprocess.PIPE) as reader:
        reader.wait(timeout=60)
        writer = subprocess.run(
            [sys.executable, "-c", code],
            stdout=reader.stdin,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            timeout=120,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    assert "BrokenPipe" not in writer.stderr
    assert "internal error" not in writer.stderr
    assert writer.returncode == 0
