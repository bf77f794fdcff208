"""The committed dashboards and rules are exactly what the code generates."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from brokerage_observability import alerts, build, dashboards


def test_committed_files_equal_the_generators_output() -> None:
    assert build.stale() == [], "run .venv/bin/build-observability and commit the result"


def test_a_hand_edited_file_is_stale(tmp_path: Path) -> None:
    for path in build.render():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(build.ROOT / path, tmp_path / path)
    assert build.stale(tmp_path) == []
    rules = tmp_path / build.RULES_FILE
    rules.write_text(rules.read_text().replace("for: 5m", "for: 50m", 1))
    (tmp_path / build.DASHBOARD_DIR / "overview.json").unlink()
    assert set(build.stale(tmp_path)) == {
        build.RULES_FILE,
        build.DASHBOARD_DIR / "overview.json",
    }


def test_one_dashboard_per_service_and_an_overview() -> None:
    assert set(dashboards.DASHBOARDS) == {"overview", "profile-svc", "tiering-svc", "notify-svc"}
    uids = [dashboards.to_json(b())["uid"] for b in dashboards.DASHBOARDS.values()]
    assert len(set(uids)) == len(uids)


def test_every_query_goes_through_the_datasource_variable() -> None:
    for builder in dashboards.DASHBOARDS.values():
        board = dashboards.to_json(builder())
        assert [v["name"] for v in board["templating"]["list"]] == ["datasource"]
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                assert target["datasource"] == {"type": "prometheus", "uid": "${datasource}"}


def test_routing_latency_panel_shows_the_5_ms_target() -> None:
    board = dashboards.to_json(dashboards.tiering_dashboard())
    (panel,) = [p for p in board["panels"] if "5 ms" in p.get("title", "")]
    steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert steps[-1] == {"value": 0.005, "color": "red"}  # api.md: p99 within 5 ms
    assert "tiering_routing_request_duration_seconds_bucket" in panel["targets"][0]["expr"]


def test_every_alert_has_for_severity_summary_and_runbook() -> None:
    rules = [rule for group in alerts.rule_groups() for rule in group["rules"]]
    names = [rule["alert"] for rule in rules]
    assert len(set(names)) == len(names)
    for rule in rules:
        assert rule["for"], rule["alert"]
        assert rule["labels"]["severity"] in ("critical", "warning")
        assert rule["annotations"]["summary"]
        assert rule["annotations"]["runbook"]


def test_the_prometheus_rule_carries_the_compose_rules() -> None:
    import yaml

    compose_rules = yaml.safe_load((build.ROOT / build.RULES_FILE).read_text())
    k8s_rule = yaml.safe_load((build.ROOT / build.PROMETHEUS_RULE_FILE).read_text())
    assert k8s_rule["spec"]["groups"] == compose_rules["groups"]
    assert json.dumps(compose_rules)  # plain data, nothing YAML-specific
