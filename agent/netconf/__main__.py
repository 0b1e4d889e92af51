"""``python -m agent.netconf``: a stand-alone NETCONF server for tests and benchmarks.

Runs the datastores, the journal and the transaction manager with the recording southbound (no data
plane) behind :class:`~agent.netconf.server.NetconfServer`. The agent process (``bng-agent run``) wires
the same server to the VPP southbound instead. Prints ``port <n>`` on stdout once listening.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from agent.datastore.journal import Journal
from agent.datastore.store import Datastores
from agent.model import load_model_set
from agent.netconf.server import NetconfServer
from agent.txn import RecordingSouthbound, TransactionManager


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m agent.netconf", description=__doc__)
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--admin-password-file", type=Path)
    p.add_argument("--max-sessions", type=int, default=64)
    p.add_argument("--max-message-size", type=int, default=64 << 20)
    p.add_argument("--no-fsync", action="store_true", help="journal without fsync (never in production)")
    p.add_argument("--log-level", default="WARNING")
    return p


async def _serve(args: argparse.Namespace) -> None:
    model = load_model_set()
    datastores = Datastores(model)
    journal = Journal(args.data_dir / "journal", model, fsync=not args.no_fsync)
    txn = TransactionManager(datastores, journal, RecordingSouthbound(model.ctx))
    await txn.start()
    server = NetconfServer(
        datastores,
        txn,
        model,
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        max_sessions=args.max_sessions,
        max_message_size=args.max_message_size,
        admin_password_file=args.admin_password_file,
    )
    await server.start()
    print(f"port {server.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop()
    await txn.stop()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    args.data_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
