"""The baseline: fetch a fixed URL list with aiohttp, C tasks, nothing else.

No parsing, no WARC, no state, no logging: each task takes the next URL, sends a GET
(redirects not followed: the list already holds every hop), reads the body fully and
drops it. The session is set up like the crawler's (no connection limit, no body
decompression, the same Accept headers) so that only the crawler's own work differs.

Usage: ``bare_loop.py URLS_FILE --concurrency C``; prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from collections import Counter
from pathlib import Path

import aiohttp


async def run(urls: list[str], concurrency: int) -> dict[str, object]:
    statuses: Counter[int] = Counter()
    total_bytes = 0
    errors: list[str] = []
    it = iter(urls)
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
    async with aiohttp.ClientSession(
        connector=connector,
        auto_decompress=False,
        timeout=aiohttp.ClientTimeout(total=None, connect=10, sock_read=30),
        headers={
            "User-Agent": "storyvault-bench-bare/0.1",
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "Accept-Encoding": "gzip, deflate",
        },
        cookie_jar=aiohttp.DummyCookieJar(),
    ) as session:

        async def worker() -> None:
            nonlocal total_bytes
            for url in it:
                try:
                    async with session.get(url, allow_redirects=False) as resp:
                        body = await resp.read()
                        statuses[resp.status] += 1
                        total_bytes += len(body)
                except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                    errors.append(f"{url}: {type(exc).__name__}: {exc}")

        t0 = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
        elapsed = time.monotonic() - t0
    return {
        "pages": sum(statuses.values()),
        "bytes": total_bytes,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": len(errors),
        "first_errors": errors[:5],
        "elapsed_s": round(elapsed, 3),
        "pages_per_s": round(sum(statuses.values()) / max(elapsed, 1e-9), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("urls_file", type=Path, help="one absolute URL a line")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    urls = [u for u in args.urls_file.read_text(encoding="utf-8").splitlines() if u]
    result = asyncio.run(run(urls, args.concurrency))
    result["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(result))
    return 0 if not result["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
