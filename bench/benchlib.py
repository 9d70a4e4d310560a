"""What the bench scripts share: building and starting the release binary, a database on the
local PostgreSQL, HTTP requests and wrk runs."""
import json, os, re, shutil, subprocess, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw).stdout


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as response:
        return response.status, json.loads(response.read())


class Server:
    def __init__(self, binary, database_url, workers, extra_env=None):
        self.state = tempfile.mkdtemp(prefix="portcullis-bench-")
        self.port = free_port()
        env = {"PATH": "/usr/bin:/bin", "PORTCULLIS_PROFILE": "testing", "PORTCULLIS_LOG_FORMAT": "json",
               "PORTCULLIS_SERVER_STATE_DIR": self.state, "PORTCULLIS_DATABASE_URL": database_url, **(extra_env or {})}
        self.log = open(os.path.join(self.state, "serve.log"), "w")
        self.process = subprocess.Popen([binary, "serve", "--workers", str(workers), "--listen", f"127.0.0.1:{self.port}"],
                                        env=env, stdout=self.log, stderr=self.log)
        for _ in range(300):
            try:
                if request(self.port, "GET", "/readyz")[0] == 200:
                    return
            except Exception:
                time.sleep(0.1)
        raise SystemExit("the server did not become ready; see " + self.log.name)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)
        self.log.close()
        shutil.rmtree(self.state, ignore_errors=True)


def wrk(port, path, duration, connections, script=None, timeout=2):
    cmd = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s", f"--timeout={timeout}s", "--latency",
           f"http://127.0.0.1:{port}{path}"]
    if script:
        cmd[1:1] = ["-s", script]
    out = run(cmd)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    def latency(label):
        match = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", out)
        value, unit = float(match.group(1)), match.group(2)
        return value * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "p50": latency("50%"), "p99": latency("99%"), "total": total,
            "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "errors": sum(int(g) for g in errors.groups()) if errors else 0}


def release_binary():
    """Installs what the benches drive the server with (wrk), builds the release binary; its path."""
    run([os.path.join(ROOT, "scripts/setup"), "wrk"])
    return run([os.path.join(ROOT, "scripts/build-release")]).strip().splitlines()[-1]


def postgres_database(name):
    """A fresh database on the local PostgreSQL (started by scripts/test-postgres); its URL."""
    admin = run([os.path.join(ROOT, "scripts/test-postgres")]).strip().splitlines()[-1]
    subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)
    subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-qc", f"CREATE DATABASE {name} OWNER portcullis_test"], check=True)
    return admin.replace("/postgres?", f"/{name}?")
