"""The layers of the code: every module of ``workers`` imports without Celery, never
imports ``tasks``, and imports only from the packages its own may depend on."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

WORKERS = Path(__file__).resolve().parents[1] / "workers"

#: which packages of workers/ each one may import (itself always)
ALLOWED = {
    "core": {"parse"},  # FrontierItem's constructors canonicalise URLs (pure)
    "parse": {"core"},
    "net": {"core", "parse"},
    "warc": {"core", "parse", "net"},
    "state": {"core", "parse", "warc"},
    "versions": {"core", "parse", "net", "warc", "state", "replay"},
    "crawl": {"core", "parse", "net", "warc", "state", "versions"},
    "replay": {"core", "parse", "net", "warc", "state", "versions"},
}
#: the pure packages: no sockets, files, clocks or Redis
PURE = {"parse"}
IO_MODULES = {"aiohttp", "redis", "sqlite3", "socket", "subprocess"}


def modules() -> list[str]:
    return sorted(
        ".".join(p.relative_to(WORKERS.parent).with_suffix("").parts)
        for p in WORKERS.rglob("*.py")
        if p.name != "__init__.py"
    )


def imports_of(module: str) -> set[str]:
    path = WORKERS.parent / (module.replace(".", "/") + ".py")
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            if node.module == "workers":
                found.update(f"workers.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_every_module_lives_in_a_package_of_the_layout() -> None:
    assert modules(), "no modules found"
    for module in modules():
        parts = module.split(".")
        assert len(parts) == 3 and parts[1] in ALLOWED, f"{module}: not in a layer package"


def test_each_package_imports_only_what_its_layer_allows() -> None:
    wrong = []
    for module in modules():
        own = module.split(".")[1]
        for name in imports_of(module):
            if name.startswith("tasks") or name == "celery" or name.startswith("celery."):
                wrong.append(f"{module} imports {name}")
            if not name.startswith("workers."):
                if own in PURE and name.split(".")[0] in IO_MODULES:
                    wrong.append(f"{module} (pure) imports {name}")
                continue
            other = name.split(".")[1]
            if other != own and other not in ALLOWED[own]:
                wrong.append(f"{module} imports {name}")
    assert wrong == []


BLOCK_CELERY = """
import importlib, sys

class BlockCelery:
    def find_spec(self, name, path=None, target=None):
        if name == "celery" or name.startswith("celery."):
            raise ImportError("celery is blocked in this test")
        return None

sys.meta_path.insert(0, BlockCelery())
for name in sys.argv[1:]:
    importlib.import_module(name)
assert not any(m == "celery" or m.startswith("celery.") for m in sys.modules), "celery leaked"
assert not any(m == "tasks" or m.startswith("tasks.") for m in sys.modules), "tasks imported"
try:
    import celery
except ImportError:
    print("blocked-ok")
"""


def test_every_module_imports_without_celery_or_tasks() -> None:
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_CELERY, *modules()],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=WORKERS.parent,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "blocked-ok"
