"""A real FreeRADIUS (Debian's ``freeradius``) started by a test with its own configuration.

Everything lives in a temporary directory: radiusd.conf, the users file, the detail
(accounting) files and the log. The server listens on 127.0.0.1 on ports picked at run
time; ``stop()`` / ``start()`` let a test take it away to exercise failover. Only the
process this helper started is ever signalled, by its pid.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

RADIUSD = shutil.which("freeradius") or "/usr/sbin/freeradius"

_CONF = """\
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = {d}
sbindir = /usr/sbin
logdir = {d}/log
raddbdir = {d}
radacctdir = {d}/radacct
name = freeradius
confdir = {d}
modconfdir = {d}
run_dir = {d}/run
db_dir = {d}
libdir = /usr/lib/freeradius
pidfile = {d}/run/radiusd.pid
max_request_time = 30
cleanup_delay = 0
max_requests = 65536
hostname_lookups = no
log {{
  destination = files
  file = {d}/log/radius.log
  auth = yes
}}
security {{
  allow_core_dumps = no
  max_attributes = 200
  reject_delay = 0
  status_server = yes
}}
thread pool {{
  start_servers = 4
  max_servers = 8
  min_spare_servers = 1
  max_spare_servers = 8
  max_requests_per_server = 0
}}
client local {{
  ipaddr = 127.0.0.1
  secret = {secret}
  require_message_authenticator = yes
}}
modules {{
  pap {{
  }}
  chap {{
  }}
  files {{
    filename = {d}/users
  }}
  detail {{
    filename = {d}/radacct/detail
    permissions = 0600
    header = "%t"
  }}
}}
server default {{
  listen {{
    type = auth
    ipaddr = 127.0.0.1
    port = {auth_port}
  }}
  listen {{
    type = acct
    ipaddr = 127.0.0.1
    port = {acct_port}
  }}
  authorize {{
    chap
    files
    pap
  }}
  authenticate {{
    Auth-Type PAP {{
      pap
    }}
    Auth-Type CHAP {{
      chap
    }}
  }}
  preacct {{
  }}
  accounting {{
    detail
  }}
  post-auth {{
{reply_ma}
    Post-Auth-Type REJECT {{
{reply_ma}
    }}
  }}
}}
"""


_SIGN = "    update reply {\n      &Message-Authenticator := 0x00\n    }"


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class FreeRadius:
    """One FreeRADIUS process with a users file (FreeRADIUS ``users`` syntax) and a secret."""

    directory: Path
    users: str
    secret: str = "testing123"
    auth_port: int = field(default_factory=free_udp_port)
    acct_port: int = field(default_factory=free_udp_port)
    sign_replies: bool = True
    dictionary: str = ""  # FreeRADIUS dictionary lines (vendor attributes the users file uses)
    proc: subprocess.Popen[bytes] | None = None

    def write(self) -> None:
        d = self.directory
        for sub in ("log", "run", "radacct"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        # FreeRADIUS before 3.2.5 signs an answer only when the reply carries a Message-Authenticator;
        # adding one in post-auth is the BlastRADIUS mitigation its advisory gives for those versions.
        # ``sign_replies=False`` makes a server that does not, to show the client drops its answers.
        reply_ma = (
            "    update reply {\n      &Message-Authenticator := 0x00\n    }" if self.sign_replies else ""
        )
        conf = _CONF.format(
            d=d,
            secret=self.secret,
            auth_port=self.auth_port,
            acct_port=self.acct_port,
            reply_ma=reply_ma,
        )
        (d / "radiusd.conf").write_text(conf)
        (d / "users").write_text(self.users)
        # FreeRADIUS reads ${confdir}/dictionary after its own; it must exist.
        (d / "dictionary").write_text(self.dictionary)

    def start(self, timeout: float = 20.0) -> None:
        """Start radiusd in the foreground (-f) and wait until it answers on its auth port."""
        self.write()
        with open(self.directory / "log" / "stdout.log", "ab") as log:
            self.proc = subprocess.Popen(
                [RADIUSD, "-f", "-d", str(self.directory), "-n", "radiusd", "-l", "stdout"],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"freeradius exited: {self.log_text()[-3000:]}")
            if self._ready():
                return
            time.sleep(0.1)
        raise RuntimeError(f"freeradius did not come up: {self.log_text()[-3000:]}")

    def _ready(self) -> bool:
        # "Ready to process requests" is printed once all listeners are bound.
        return "Ready to process requests" in self.log_text()

    def log_text(self) -> str:
        text = ""
        for name in ("stdout.log", "radius.log"):
            p = self.directory / "log" / name
            if p.exists():
                text += p.read_text(errors="replace")
        return text

    def stop(self) -> None:
        """Terminate the server this helper started (by pid) and wait for it."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, 15)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, 9)
                self.proc.wait(10)
        self.proc = None
        # the next start() must not see the previous run's "Ready" line
        p = self.directory / "log" / "stdout.log"
        if p.exists():
            p.rename(p.with_suffix(f".{time.time_ns()}"))

    def detail_text(self) -> str:
        """All accounting records FreeRADIUS wrote (its detail files)."""
        root = self.directory / "radacct"
        return "".join(p.read_text() for p in sorted(root.rglob("detail*")) if p.is_file())
