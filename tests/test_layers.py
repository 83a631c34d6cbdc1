"""The engine is a plain library: importable without Celery."""

from __future__ import annotations

import subprocess
import sys

BLOCK_CELERY = """
import sys

class BlockCelery:
    def find_spec(self, name, path=None, target=None):
        if name == "celery" or name.startswith("celery."):
            raise ImportError("celery is blocked in this test")
        return None

sys.meta_path.insert(0, BlockCelery())
import workers, workers.capture, workers.archive, workers.fetch, workers.recovery
import workers.cdxj, workers.guard, workers.warc, workers.state, workers.settings
assert not any(m == "celery" or m.startswith("celery.") for m in sys.modules), "celery leaked"
try:
    import celery
except ImportError:
    print("blocked-ok")
"""


def test_workers_imports_without_celery() -> None:
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_CELERY], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "blocked-ok"


def test_workers_never_imports_tasks() -> None:
    code = "import sys, workers.capture; print(any(m.startswith('tasks') for m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "False", result.stderr
