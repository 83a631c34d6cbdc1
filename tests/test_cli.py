"""The command line, run as a user runs it: the installed console script, a real server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.servers import LiveServer

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def storyvault(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "storyvault"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize("args", [["--help"], ["fetch", "--help"]])
def test_help(args: list[str]) -> None:
    result = storyvault(*args)
    assert result.returncode == 0
    assert "usage: storyvault" in result.stdout


def test_fetch_prints_where_each_record_went(outlet: LiveServer, archive_dir: Path) -> None:
    result = storyvault(
        "fetch",
        "--allow-private",
        "--archive",
        str(archive_dir),
        outlet.url("/plain"),
        outlet.url("/gzip"),
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    for line, path in zip(lines, ["/plain", "/gzip"], strict=True):
        m = re.match(r"response +200 (\S+) -> (\S+\.warc\.gz) offset=(\d+) length=(\d+)", line)
        assert m, line
        assert m.group(1) == outlet.url(path)
        assert Path(m.group(2)).is_file()
    # logs are JSON lines on stderr when it is not a terminal, one "fetched" per fetch
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert [e["url"] for e in events if e["event"] == "fetched"] == [
        outlet.url("/plain"),
        outlet.url("/gzip"),
    ]


def test_index_equals_cdxj_indexer_output(
    outlet: LiveServer, hostile: LiveServer, archive_dir: Path
) -> None:
    urls = [
        outlet.url("/plain"),
        outlet.url("/plain"),
        outlet.url("/gzip"),
        outlet.url("/chunked"),
        hostile.url("/redirect-chain"),
        hostile.url("/status/404"),
    ]
    for url in urls:  # several runs: several files merged into one sorted index
        assert (
            storyvault("fetch", "--allow-private", "--archive", str(archive_dir), url).returncode
            == 0
        )
    coll = archive_dir / "collections" / "storyvault"
    expected = subprocess.run(
        [str(BIN / "cdxj-indexer"), "--sort", str(coll / "archive")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    ours = (coll / "indexes" / "index.cdxj").read_text()
    assert ours.splitlines() == expected.splitlines()
    assert len(ours.splitlines()) == 10  # 2 plain (1 revisit) + gzip + chunked + 5 chain + 404
    assert '"mime": "warc/revisit"' in ours


def test_refused_url_exits_nonzero_with_one_clear_line(archive_dir: Path) -> None:
    result = storyvault("fetch", "--archive", str(archive_dir), "http://127.0.0.1:9/x")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("storyvault:")]
    assert errors == [
        "storyvault: error: http://127.0.0.1:9/x: refused: loopback address (use --allow-private)"
    ]


def test_bad_setting_exits_2(archive_dir: Path) -> None:
    result = storyvault(
        "fetch",
        "--archive",
        str(archive_dir),
        "http://example.test/",
        env={"STORYVAULT_MAX_REDIRECT": "3"},
    )
    assert result.returncode == 2
    assert "unknown setting 'max_redirect'" in result.stderr


def test_make_crawl_archives_a_local_server(outlet: LiveServer, tmp_path: Path) -> None:
    archive = tmp_path / "made"
    result = subprocess.run(
        [
            "make",
            "-s",
            "-C",
            str(REPO),
            "crawl",
            f"URL={outlet.url('/')}",
            "ARGS=--allow-private",
            f"ARCHIVE={archive}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert list((archive / "collections" / "storyvault" / "archive").glob("*.warc.gz"))
    assert (archive / "collections" / "storyvault" / "indexes" / "index.cdxj").read_text()


@pytest.mark.parametrize(
    ("flags", "flag"),
    [
        (["--delay", "-1"], "--delay"),
        (["--concurrency", "0"], "--concurrency"),
        (["--host-concurrency", "-2"], "--host-concurrency"),
        (["--cite-depth", "-3"], "--cite-depth"),
        (["--host-budget", "0"], "--host-budget"),
        (["--exclude", "(["], "--exclude"),
    ],
)
def test_bad_crawl_flag_is_a_usage_error_naming_it(
    flags: list[str], flag: str, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    result = storyvault(
        "crawl", *flags, "--allow-private", "--archive", str(archive), "http://127.0.0.1:9/"
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [result.stderr.strip()]  # one line, no traceback
    assert result.stderr.startswith(f"storyvault: error: {flag} ")
    assert not archive.exists()


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["watch", "--discover-every", "0s", "http://127.0.0.1:9/"], "--discover-every"),
        (["watch", "--discover-every", "soon", "http://127.0.0.1:9/"], "--discover-every"),
        (["recrawl", "--stale=-1m"], "--stale"),
        (["outlets", "add", "--cite-depth", "-3", "http://127.0.0.1:9/"], "--cite-depth"),
        (["outlets", "add", "--delay", "-1", "http://127.0.0.1:9/"], "--delay"),
        (["worker", "--concurrency", "0"], "--concurrency"),
    ],
)
def test_bad_flag_of_other_commands_is_a_usage_error(
    args: list[str], flag: str, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    result = storyvault(
        *args, "--archive", str(archive), env={"STORYVAULT_REDIS_URL": "redis://127.0.0.1:9/0"}
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"storyvault: error: {flag} "), result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert not archive.exists()


def test_unknown_log_level_is_a_usage_error(tmp_path: Path) -> None:
    result = storyvault("--log-level", "LOUD", "crawl", "--archive", str(tmp_path), "http://x/")
    assert result.returncode == 2
    assert "argument --log-level: invalid choice: 'LOUD'" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_setting_from_the_environment_names_it(tmp_path: Path) -> None:
    result = storyvault(
        "crawl",
        "--archive",
        str(tmp_path / "archive"),
        "http://127.0.0.1:9/",
        env={"STORYVAULT_HOST_CONCURRENCY": "0"},
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "storyvault: error: setting 'host_concurrency' from environment is '0': give 1 or more"
    )


@pytest.mark.parametrize("where", ["under-a-file", "proc"])
def test_archive_that_cannot_be_created_is_one_clear_line(tmp_path: Path, where: str) -> None:
    if where == "proc":
        if not Path("/proc/self").is_dir():
            pytest.skip("no /proc here")
        archive = Path("/proc/nope")
    else:
        blocker = tmp_path / "a-file"
        blocker.write_text("not a directory\n")
        archive = blocker / "archive"
    for command in (["crawl", "http://127.0.0.1:9/"], ["fetch", "http://127.0.0.1:9/"]):
        result = storyvault(*command, "--allow-private", "--archive", str(archive))
        assert result.returncode == 2, result.stderr
        line = result.stderr.strip()
        assert "\n" not in line and "Traceback" not in line
        assert line.startswith(f"storyvault: error: {archive}")
        assert "--archive" in line


def _to_closed_pipe(*args: str) -> subprocess.CompletedProcess[bytes]:
    """Run storyvault with its stdout a pipe whose reader is already gone (like `| head`)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [str(BIN / "storyvault"), *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)


def test_output_into_a_closed_pipe_ends_quietly(
    outlet: LiveServer, archive_dir: Path, redis_url: str
) -> None:
    fetched = storyvault("fetch", "--allow-private", "--archive", str(archive_dir), outlet.url("/"))
    assert fetched.returncode == 0, fetched.stderr
    for args in (
        ["show", "--archive", str(archive_dir), outlet.url("/")],
        ["status", "--redis", redis_url],
    ):
        result = _to_closed_pipe(*args)
        assert result.returncode == 1, result.stderr
        assert result.stderr == b"", result.stderr


READ_ONLY_COMMANDS = [
    ["versions", "http://outlet.example/a"],
    ["diff", "http://outlet.example/a"],
    ["reindex"],
    ["clean"],
    ["show", "http://outlet.example/a"],
    ["export", "--wacz", "out.wacz"],
    ["timeline", "http://outlet.example/a"],
    ["changes"],
    ["replay", "--port", "0"],
]


@pytest.mark.parametrize("command", READ_ONLY_COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("exists", [False, True], ids=["missing", "empty-dir"])
def test_read_only_command_on_no_archive_creates_nothing(
    command: list[str], exists: bool, tmp_path: Path
) -> None:
    root = tmp_path / "typo"
    if exists:
        root.mkdir()
    result = subprocess.run(
        [str(BIN / "storyvault"), *command, "--archive", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        f"storyvault: error: {root}: no archive at this path "
        f"({'no state or collections in it' if exists else 'no such directory'}); give "
        "--archive the directory a crawl wrote into, or crawl into it first"
    )
    assert sorted(tmp_path.rglob("*")) == ([root] if exists else [])


def test_a_recrawl_that_captures_nothing_says_why_and_exits_1(
    outlet: LiveServer, archive_dir: Path
) -> None:
    made = storyvault("fetch", "--archive", str(archive_dir), "--allow-private", outlet.url("/"))
    assert made.returncode == 0, made.stderr
    # the address guard refuses the loopback story: not captured, said, exit 1
    again = storyvault("recrawl", "--archive", str(archive_dir), outlet.url("/"))
    assert again.returncode == 1
    assert f"{outlet.url('/')} was not captured" in again.stderr
    assert "--allow-private" in again.stderr
