"""Settings precedence: CLI > environment > config file > defaults; unknown keys fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers.core.errors import ConfigError
from workers.core.settings import Settings, load_settings


def test_defaults_when_nothing_given() -> None:
    s = load_settings(env={})
    assert s == Settings(hostname=s.hostname)
    assert s.warc_max_bytes == 1024**3
    assert s.allow_private is False


def test_precedence(tmp_path: Path) -> None:
    cfg = tmp_path / "storyvault.toml"
    cfg.write_text('collection = "from-file"\nmax_retries = 7\nread_timeout = 3.5\n')
    env = {"STORYVAULT_COLLECTION": "from-env", "STORYVAULT_ALLOW_PRIVATE": "yes"}
    s = load_settings(env=env, config_file=cfg, cli={"collection": "from-cli"})
    assert s.collection == "from-cli"
    assert s.allow_private is True
    assert s.max_retries == 7
    assert s.read_timeout == 3.5
    s = load_settings(env=env, config_file=cfg)
    assert s.collection == "from-env"


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"STORYVAULT_NO_SUCH_THING": "1"}, "unknown setting 'no_such_thing'"),
        ({"STORYVAULT_MAX_RETRIES": "many"}, "max_retries"),
        ({"STORYVAULT_ALLOW_PRIVATE": "perhaps"}, "allow_private"),
    ],
)
def test_bad_values_are_errors(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        load_settings(env=env)


def test_unknown_key_in_file_names_the_file(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("colection = 'typo'\n")
    with pytest.raises(ConfigError, match=r"bad\.toml"):
        load_settings(env={}, config_file=cfg)


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("host_delay = -1", "host_delay"),
        ("concurrency = 0", "concurrency"),
        ("read_timeout = 0", "read_timeout"),
        ("host_delay = inf", "finite"),
        ("scope_exclude = ['([']", "not a regular expression"),
        ("url_max_seconds = 0", "url_max_seconds"),
        ("robots_retry_seconds = -5", "robots_retry_seconds"),
        ("sitemap_budget = 0", "sitemap_budget"),
        ("trap_chain_max = 0", "trap_chain_max"),
        ("metrics_port = 70000", "TCP port"),
        ("metrics_port = -1", "metrics_port"),
    ],
)
def test_out_of_range_values_in_a_file_are_errors(tmp_path: Path, line: str, needle: str) -> None:
    cfg = tmp_path / "range.toml"
    cfg.write_text(line + "\n")
    with pytest.raises(ConfigError, match=rf"range\.toml.*{needle}|{needle}.*range\.toml"):
        load_settings(env={}, config_file=cfg)


def test_zero_delay_is_allowed() -> None:
    assert load_settings(env={}, cli={"host_delay": 0.0}).host_delay == 0.0
