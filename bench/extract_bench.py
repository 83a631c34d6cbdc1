"""Story extraction time per article page, on the page corpus (``tests/corpus``).

Measures, per page and in one run: the lxml parse alone (the baseline), the previous
extractor (``workers/story.py`` and ``workers/discover.py`` as they were at
``--before REV``, loaded from git history when the checkout has it), and today's extractor
without and with its library layer (trafilatura), each as ``analyse_html`` plus the story
(what the crawler does for an article page). Prints milliseconds per page (median over
pages of the best of ``--repeat`` runs) and each figure as a ratio to the parse.

    python bench/extract_bench.py [--repeat 5] [--before 6edb615] [--json-out FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.corpus import load_corpus  # noqa: E402
from workers.parse.discover import analyse_html, parse_html  # noqa: E402
from workers.parse.story import extract  # noqa: E402

BEFORE = (
    "6edb615"  # the last commit with the extractor that issue "Versions of real stories" measured
)


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _moved(match: re.Match[str]) -> str:
    """``workers.X`` of an older tree as today's module of that name (``workers.parse.X``
    ...), when ``workers.X`` itself is gone."""
    name = match.group(1)
    if importlib.util.find_spec(f"workers.{name}") is not None:
        return match.group(0)
    for package in ("parse", "net", "core", "crawl", "state", "versions", "warc"):
        if importlib.util.find_spec(f"workers.{package}.{name}") is not None:
            return f"workers.{package}.{name}"
    return match.group(0)


def load_previous(rev: str) -> Callable[[str, str], object] | None:
    """``analyse_html`` + ``extract_story`` of the extractor at ``rev``, or None."""
    sources = {}
    for name in ("discover", "story"):
        try:
            sources[name] = subprocess.run(
                ["git", "-C", str(ROOT), "show", f"{rev}:workers/{name}.py"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        except (OSError, subprocess.CalledProcessError):
            return None
    package = types.ModuleType("previous")
    package.__path__ = []
    sys.modules["previous"] = package
    directory = Path(tempfile.mkdtemp(prefix="previous-extractor-"))
    modules = {}
    for name in ("discover", "story"):
        path = directory / f"{name}.py"
        source = sources[name].replace("workers.parse.discover", "previous.discover")
        source = source.replace("workers.discover", "previous.discover")
        path.write_text(re.sub(r"\bworkers\.(\w+)\b(?=\s+import)", _moved, source))
        spec = importlib.util.spec_from_file_location(f"previous.{name}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[f"previous.{name}"] = module
        try:
            spec.loader.exec_module(module)
        except ImportError as exc:  # it needs something today's tree no longer has
            print(f"  (previous extractor: {rev} does not load today: {exc})")
            return None
        modules[name] = module
    discover, story = modules["discover"], modules["story"]

    def run(url: str, html: str) -> object:
        doc = discover.parse_html(html)
        discover.analyse_html(url, html, doc=doc)
        return story.extract_story(html, doc=doc)

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--before", default=BEFORE)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    pages = [p for p in load_corpus() if p.is_story]
    previous = load_previous(args.before)

    def scoring_only(url: str, html: str) -> object:
        return extract(html, doc=parse_html(html), library=False)

    def today(url: str, html: str) -> object:
        return analyse_html(url, html, doc=parse_html(html))

    variants: dict[str, Callable[[str, str], object]] = {
        "lxml parse (baseline)": lambda url, html: parse_html(html),
    }
    if previous is not None:
        variants[f"previous extractor ({args.before})"] = previous
    variants["today, story by own scoring only"] = scoring_only
    variants["today, with trafilatura (as crawled)"] = today
    rendered = [(p.url(), p.render(fetch=1)) for p in pages]
    for url, html in rendered:  # warm imports and caches
        for fn in variants.values():
            fn(url, html)
    results = {}
    for label, fn in variants.items():
        per_page = [
            best_of(lambda u=url, h=html, f=fn: f(u, h), args.repeat) for url, html in rendered
        ]
        results[label] = statistics.median(per_page) * 1000
    base = results["lxml parse (baseline)"]
    kib = statistics.median(len(h.encode()) for _, h in rendered) / 1024
    print(f"story extraction on {len(pages)} corpus pages (median {kib:.0f} KiB), ms per page:")
    for label, ms in results.items():
        print(f"  {label:42s} {ms:8.2f} ms   {ms / base:6.1f}x parse")
    if previous is None:
        print(f"  (previous extractor: {args.before} is not in this checkout's history)")
    if args.json_out:
        args.json_out.write_text(json.dumps({"pages": len(pages), "ms_per_page": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
