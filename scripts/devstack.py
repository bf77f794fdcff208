"""make run / make stop: the whole platform on one machine.

It starts the broker, the SMS gateway stand-in, every service (API and worker), the staff
console (apps/staff-console, CONSOLE_PORT, default 8080) and loads demo data.

Every process it starts is recorded in data/pids; `stop` stops exactly those. A
supervisor (recorded there too) restarts any of them that dies, as Kubernetes would:
with the same command, environment and log, after a back-off that grows while it keeps
dying; a restarted broker gets its topics back with their declared partition counts.
Variables already set in the environment win: KAFKA_BOOTSTRAP_SERVERS (then no
local broker is started), SMS_GATEWAY_URL (then no stand-in), AUTH_JWT_SECRET,
and <SERVICE>_DATABASE_URL per service (e.g. TIERING_DATABASE_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("DATA_DIR", ROOT / "data"))
PIDS = DATA / "pids"
LOGS = DATA / "logs"
PROCS = DATA / "procs"  # name -> how to start it again (the supervisor reads these)
SUPERVISOR = "supervisor"
PY = sys.executable

# name -> (API port, worker metrics port, package)
SERVICES = {
    "profile-svc": (8001, 9101, "profile_svc"),
    "tiering-svc": (8002, 9102, "tiering_svc"),
    "advisory-svc": (8003, 9103, "advisory_svc"),
    "notify-svc": (8004, 9104, "notify_svc"),
    "ops-assessment-svc": (8005, 9105, "ops_assessment_svc"),
}
BROKER_PORT = 9092
STANDIN_PORT = 9300
CONSOLE_PORT = int(os.environ.get("CONSOLE_PORT", "8080"))


def present_services() -> dict[str, tuple[int, int, str]]:
    return {
        n: v for n, v in SERVICES.items() if (ROOT / "services" / n / "pyproject.toml").exists()
    }


def write_atomically(path: Path, text: str) -> None:
    """Readers (the supervisor, ``stop``) see the old content or the new, never an empty or
    half-written file: ``write_text`` truncates first, then writes."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def spawn(
    name: str, args: list[str], env: dict[str, str], cwd: Path = ROOT, *, supervised: bool = True
) -> subprocess.Popen[bytes]:
    LOGS.mkdir(parents=True, exist_ok=True)
    PIDS.mkdir(parents=True, exist_ok=True)
    if supervised:
        PROCS.mkdir(parents=True, exist_ok=True)
        spec = {"args": args, "env": env, "cwd": str(cwd)}
        write_atomically(PROCS / f"{name}.json", json.dumps(spec))
    with open(LOGS / f"{name}.log", "ab") as log:  # the child has its own descriptor
        proc = subprocess.Popen(
            args, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    write_atomically(PIDS / f"{name}.pid", str(proc.pid))
    return proc


def alive(pid: int) -> bool:
    """The process runs (a zombie, dead but not yet reaped by its parent, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):
        # /proc/<pid>/stat: "pid (name) state ..."; the name may hold spaces.
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def supervise(poll_s: float = 1.0) -> None:
    """Restart every recorded process that died, until SIGTERM (``make stop`` sends it first).

    A process restarted here is this process's child: it is reaped (``poll``) so that a
    dead one is never mistaken for a live zombie. Back-off: 1 s, doubling to 30 s while a
    process keeps dying within a minute of its start.
    """
    stopping = False

    def on_term(_sig: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    children: dict[str, subprocess.Popen[bytes]] = {}
    delay: dict[str, float] = {}
    started: dict[str, float] = {}
    due: dict[str, float] = {}
    while not stopping:
        for spec_file in sorted(PROCS.glob("*.json")):
            if stopping:
                break
            name = spec_file.stem
            pid_file = PIDS / f"{name}.pid"
            if not pid_file.exists():
                continue
            child = children.get(name)
            dead = child.poll() is not None if child else not alive(int(pid_file.read_text()))
            if not dead:
                if time.monotonic() - started.get(name, 0.0) > 60:
                    delay.pop(name, None)  # it stayed up: the next death restarts at once
                continue
            now = time.monotonic()
            if name not in due:
                wait = delay.get(name, 0.0)
                due[name] = now + wait
                delay[name] = min(30.0, max(1.0, wait * 2))
                print(f"supervisor: {name} died; restarting in {wait:.0f} s", flush=True)
            if now < due[name]:
                continue
            del due[name]
            spec = json.loads(spec_file.read_text())
            children[name] = spawn(name, spec["args"], spec["env"], Path(spec["cwd"]))
            started[name] = time.monotonic()
            print(f"supervisor: restarted {name} (pid {children[name].pid})", flush=True)
            if name == "broker":
                restore_topics(spec["env"])
        time.sleep(poll_s)


def restore_topics(env: dict[str, str]) -> None:
    """The local broker keeps its topics in memory: a restarted one gets them back."""
    from brokerage_common.kafka import ensure_topics
    from brokerage_common.topics import all_topic_specs

    bootstrap = env.get("KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{BROKER_PORT}")
    try:
        asyncio.run(ensure_topics(bootstrap, all_topic_specs()))
        print("supervisor: broker topics restored", flush=True)
    except Exception as exc:  # noqa: BLE001 - the supervisor must outlive a failed attempt
        print(f"supervisor: topics not restored ({type(exc).__name__})", flush=True)


def wait_http(url: str, timeout_s: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def run() -> None:
    if PIDS.exists() and any(PIDS.iterdir()):
        print("a local stack seems to be running already (data/pids); run `make stop` first")
        sys.exit(1)
    DATA.mkdir(parents=True, exist_ok=True)
    base_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    from brokerage_common.settings import DEV_JWT_SECRET

    secret = base_env.setdefault("AUTH_JWT_SECRET", DEV_JWT_SECRET)
    base_env.setdefault("ENVIRONMENT", "local")
    base_env.setdefault("LOG_JSON", "true")
    # A local SMTP sink (aiosmtpd, mailpit) offers no STARTTLS, notify-svc's default.
    base_env.setdefault("SMTP_START_TLS", "false")

    if "KAFKA_BOOTSTRAP_SERVERS" not in os.environ:
        from brokerage_common.broker import broker_binary, wait_for_port

        url = f"tcp://127.0.0.1:{BROKER_PORT}"
        spawn(
            "broker",
            [
                broker_binary(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            base_env,
        )
        wait_for_port("127.0.0.1", BROKER_PORT)
        base_env["KAFKA_BOOTSTRAP_SERVERS"] = f"127.0.0.1:{BROKER_PORT}"
        # The broker's spec needs the address too: a restart restores its topics there.
        spec_file = PROCS / "broker.json"
        spec = json.loads(spec_file.read_text())
        spec["env"]["KAFKA_BOOTSTRAP_SERVERS"] = base_env["KAFKA_BOOTSTRAP_SERVERS"]
        write_atomically(spec_file, json.dumps(spec))
    bootstrap = base_env["KAFKA_BOOTSTRAP_SERVERS"]
    from brokerage_common.kafka import ensure_topics
    from brokerage_common.topics import all_topic_specs

    asyncio.run(ensure_topics(bootstrap, all_topic_specs()))
    print(f"broker   {bootstrap} (topics created)")

    services = present_services()
    if "notify-svc" in services and "SMS_GATEWAY_URL" not in os.environ:
        from brokerage_common.auth import issue_token

        standin_env = {
            **base_env,
            "STANDIN_PORT": str(STANDIN_PORT),
            "STANDIN_CALLBACK_URL": f"http://127.0.0.1:{services['notify-svc'][0]}/v1/sms/delivery-reports",
            "STANDIN_CALLBACK_TOKEN": issue_token(
                secret=secret,
                sub="sms-gateway",
                role="service",
                scopes=["sms:report"],
                ttl_s=30 * 86400,
            ),
        }
        spawn("sms-gateway-standin", [PY, "-m", "sms_gateway_standin"], standin_env)
        base_env["SMS_GATEWAY_URL"] = f"http://127.0.0.1:{STANDIN_PORT}"
        base_env.setdefault("SMS_GATEWAY_KEY", "dev-sms-key")

    for name, (port, metrics_port, pkg) in services.items():
        env = dict(base_env)
        var = name.removesuffix("-svc").replace("-", "_").upper() + "_DATABASE_URL"
        env["DATABASE_URL"] = os.environ.get(var, f"sqlite+aiosqlite:///{DATA / name}.db")
        env["WORKER_METRICS_PORT"] = str(metrics_port)
        env["SERVICE_NAME"] = name
        subprocess.run(
            [
                PY,
                "-m",
                "alembic",
                "-c",
                str(ROOT / "services" / name / "alembic.ini"),
                "upgrade",
                "head",
            ],
            env=env,
            check=True,
            cwd=ROOT,
        )
        spawn(
            f"{name}-api",
            [
                PY,
                "-m",
                "uvicorn",
                "--factory",
                f"{pkg}.main:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
            ],
            env,
        )
        spawn(f"{name}-worker", [PY, "-m", f"{pkg}.worker"], env)
    for name, (port, _, _) in services.items():
        ok = wait_http(f"http://127.0.0.1:{port}/readyz")
        print(
            f"{name:<13} http://127.0.0.1:{port}/docs  "
            + ("ready" if ok else f"NOT READY, see data/logs/{name}-api.log")
        )

    spawn(
        SUPERVISOR,
        [PY, str(Path(__file__).resolve()), "supervise"],
        {**os.environ, "PYTHONUNBUFFERED": "1", "DATA_DIR": str(DATA)},
        supervised=False,
    )
    print("supervisor restarts any process that dies (data/logs/supervisor.log)")

    from demo_data import STAFF, load_demo  # type: ignore[import-not-found]

    console = start_console(base_env, STAFF)
    tokens = load_demo(services=services, bootstrap=bootstrap, secret=secret)
    print(
        "\nmetrics  /metrics on every API port; workers on "
        + ", ".join(str(v[1]) for v in services.values())
    )
    print("logs     data/logs/   stop with: make stop\n")
    print("tokens (valid 12 h):")
    for role, token in tokens.items():
        print(f"  {role:<22} {token}")
    (DATA / "tokens.json").write_text(json.dumps(tokens, indent=2))
    print("\n(also in data/tokens.json)")
    if console:
        print(f"\nstaff console  {console}")
        print("  sign in as one of the demo staff (local only; no password):")
        for staff in STAFF:
            roles = ", ".join(staff["staff_roles"])
            print(
                f"    {staff['staff_id']}  {staff['name']}  branch {staff['branch_id']}  ({roles})"
            )


def start_console(base_env: dict[str, str], staff: list[dict[str, object]]) -> str | None:
    """The staff console over the services' local ports; it has no database or worker."""
    if not (ROOT / "apps" / "staff-console" / "pyproject.toml").exists():
        return None
    env = {
        **base_env,
        "SERVICE_NAME": "staff-console",
        "CONSOLE_DEMO_STAFF": json.dumps(staff, ensure_ascii=False),
        **{
            f"{key}_URL": os.environ.get(f"{key}_URL", f"http://127.0.0.1:{port}")
            for key, port in (
                ("PROFILE", SERVICES["profile-svc"][0]),
                ("TIERING", SERVICES["tiering-svc"][0]),
                ("ADVISORY", SERVICES["advisory-svc"][0]),
                ("NOTIFY", SERVICES["notify-svc"][0]),
                ("OPS", SERVICES["ops-assessment-svc"][0]),
            )
        },
    }
    spawn(
        "staff-console",
        [
            PY,
            "-m",
            "uvicorn",
            "--factory",
            "staff_console.main:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(CONSOLE_PORT),
            "--no-access-log",
        ],
        env,
    )
    url = f"http://127.0.0.1:{CONSOLE_PORT}/"
    ok = wait_http(f"{url}readyz")
    print(f"{'staff-console':<13} {url}  " + ("ready" if ok else "NOT READY, see logs"))
    return url


def stop() -> None:
    if not PIDS.exists():
        print("nothing to stop")
        return
    # The supervisor first, so that nothing stopped below is started again.
    pid_files = sorted(PIDS.glob("*.pid"), key=lambda f: f.stem != SUPERVISOR)
    for pid_file in pid_files:
        if not pid_file.exists():
            continue
        pid = int(pid_file.read_text())
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        pid_file.unlink()
        (PROCS / f"{pid_file.stem}.json").unlink(missing_ok=True)
        print(f"stopped {pid_file.stem}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["run", "stop", "supervise"])
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    {"run": run, "stop": stop, "supervise": supervise}[args.command]()
