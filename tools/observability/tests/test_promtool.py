"""promtool checks the alert rules and runs their unit tests (Debian's `prometheus` package).

Skipped where promtool is not installed (`make test` on a newcomer's machine); required
when CI is set: .ci/run installs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from brokerage_observability import build, dashboards

PROMTOOL = shutil.which("promtool")
RULES = build.ROOT / build.RULES_FILE
UNIT_TESTS = RULES.with_name("brokerage-cs.test.yml")

pytestmark = pytest.mark.skipif(
    PROMTOOL is None and not os.environ.get("CI"),
    reason="promtool not installed (Debian: apt-get install prometheus); CI runs these",
)


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    if PROMTOOL is None:
        pytest.fail("CI is set but promtool is missing: .ci/run installs Debian's prometheus")
    return subprocess.run(
        [PROMTOOL, *map(str, args)], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_rules_files_are_valid(tmp_path: Path) -> None:
    result = promtool("check", "rules", RULES)
    assert result.returncode == 0, result.stdout + result.stderr
    spec = yaml.safe_load((build.ROOT / build.PROMETHEUS_RULE_FILE).read_text())["spec"]
    (tmp_path / "k8s.rules.yml").write_text(yaml.safe_dump(spec))
    result = promtool("check", "rules", tmp_path / "k8s.rules.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_alert_fires_and_holds_as_its_unit_tests_say() -> None:
    result = promtool("test", "rules", UNIT_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr
    tested = {
        case["alertname"]
        for test in yaml.safe_load(UNIT_TESTS.read_text())["tests"]
        for case in test["alert_rule_test"]
    }
    groups = yaml.safe_load(RULES.read_text())["groups"]
    rules = {rule["alert"] for group in groups for rule in group["rules"]}
    assert tested == rules, "every alert needs its unit tests"


# A wrong rule must fail its unit tests: each mutation breaks one alert.
MUTATIONS = {
    "routing target 10 ms": ('le="0.005"', 'le="0.01"'),
    "first dead letter missed": (
        " or sum by (consumer, topic) (brokerage_consumer_events_dead_lettered_total"
        " unless brokerage_consumer_events_dead_lettered_total offset 10m)",
        "",
    ),
    "delivery floor 70%": ("< 0.9 and", "< 0.7 and"),
    "calendar waits a day": ("for: 1h", "for: 1d"),
    "lag alert ignores growth": (
        " and sum by (consumer, topic) (delta(brokerage_consumer_lag_messages[10m])) > 0",
        "",
    ),
    "outbox alert ignores publishing": (
        " unless on (service) sum by (service) (rate(brokerage_outbox_published_total[10m])) > 0",
        "",
    ),
}


@pytest.mark.parametrize("mutation", MUTATIONS.values(), ids=list(MUTATIONS))
def test_a_broken_rule_fails_its_unit_tests(mutation: tuple[str, str], tmp_path: Path) -> None:
    old, new = mutation
    text = RULES.read_text()
    assert old in text
    (tmp_path / RULES.name).write_text(text.replace(old, new))
    shutil.copy(UNIT_TESTS, tmp_path / UNIT_TESTS.name)
    result = promtool("test", "rules", tmp_path / UNIT_TESTS.name)
    assert result.returncode != 0, result.stdout


def test_every_dashboard_query_parses(tmp_path: Path) -> None:
    """promtool parses each panel's PromQL (as a recording rule; Grafana's range variables
    replaced by a fixed window), so a typo in a panel fails here, not on a dashboard."""
    exprs = [
        target["expr"].replace("$__rate_interval", "5m").replace("$__range", "1h")
        for builder in dashboards.DASHBOARDS.values()
        for panel in dashboards.to_json(builder())["panels"]
        for target in panel.get("targets", [])
    ]
    assert exprs
    rules = [{"record": f"dashboard:query{n}", "expr": expr} for n, expr in enumerate(exprs)]
    (tmp_path / "queries.yml").write_text(
        yaml.safe_dump({"groups": [{"name": "q", "rules": rules}]})
    )
    result = promtool("check", "rules", tmp_path / "queries.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    (tmp_path / "broken.yml").write_text(
        yaml.safe_dump(
            {"groups": [{"name": "q", "rules": [{"record": "x:y", "expr": "sum(rate(a[5m])"}]}]}
        )
    )
    assert promtool("check", "rules", tmp_path / "broken.yml").returncode != 0
