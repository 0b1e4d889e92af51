"""Shared helpers for the transaction and journal tests (not a test module)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.datastore.journal import Journal
from agent.datastore.session import Session
from agent.datastore.store import Datastores
from agent.model import load_model_set
from agent.txn import RecordingSouthbound, TransactionManager

PARENT = "GigabitEthernet0/8/0"
IFS = "/ietf-interfaces:interfaces"


def if_path(name: str) -> str:
    return f"{IFS}/interface[name='{name}']"


def parent_entry() -> dict[str, Any]:
    return {"name": PARENT, "type": "iana-if-type:ethernetCsmacd"}


def subif_tags(n: int) -> tuple[int, int]:
    """(S-VLAN, C-VLAN) of the n-th test sub-interface; n in 1..16,000,000."""
    return 100 + n // 4000, n % 4000 + 1


def subif_id(n: int) -> int:
    outer, inner = subif_tags(n)
    return outer * 10000 + inner  # bng-interfaces: sub-id = outer * 10000 + inner for QinQ


def subif_name(n: int) -> str:
    return f"{PARENT}.{subif_id(n)}"


def subif_entry(n: int, description: str | None = None) -> dict[str, Any]:
    """A QinQ sub-interface with an IPv4 address."""
    outer, inner = subif_tags(n)
    entry: dict[str, Any] = {
        "name": subif_name(n),
        "type": "iana-if-type:l2vlan",
        "bng-interfaces:sub-interface": {
            "parent-interface": PARENT,
            "sub-id": subif_id(n),
            "encapsulation": {"double-tagged": {"outer-vlan-id": outer, "inner-vlan-id": inner}},
        },
        "ietf-ip:ipv4": {
            "address": [{"ip": f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}", "prefix-length": 32}]
        },
    }
    if description is not None:
        entry["description"] = description
    return entry


def interfaces_doc(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {"ietf-interfaces:interfaces": {"interface": entries}}


def add_subifs(
    ds: Datastores, session: Session, numbers: range | list[int], *, target: str = "candidate"
) -> None:
    """One gNMI-style update creating the parent and the given sub-interfaces in the candidate."""
    entries = [parent_entry()] + [subif_entry(n) for n in numbers]
    ds.edit_gnmi(
        "candidate" if target == "candidate" else "running",
        deletes=[],
        replaces=[],
        updates=[(IFS, {"interface": entries})],
        session=session,
    )


def set_description(ds: Datastores, session: Session, n: int, text: str) -> None:
    ds.edit_gnmi(
        "candidate",
        deletes=[],
        replaces=[],
        updates=[(if_path(subif_name(n)) + "/description", text)],
        session=session,
    )


def running_interfaces(ds: Datastores) -> dict[str, dict[str, Any]]:
    """Running's interfaces by name (JSON-IETF), for comparisons."""
    import json

    doc = json.loads(ds.read("running", fmt="json") or "{}")
    return {e["name"]: e for e in doc.get("ietf-interfaces:interfaces", {}).get("interface", [])}


async def start_manager(
    data_dir: Path, *, checkpoints: int = 50, snapshot_every: int = 500
) -> tuple[Datastores, Journal, RecordingSouthbound, TransactionManager]:
    model = load_model_set()
    journal = Journal(data_dir, model, snapshot_every=snapshot_every)
    ds = Datastores(model)
    sb = RecordingSouthbound()
    tm = TransactionManager(ds, journal, sb, checkpoints=checkpoints)
    await tm.start()
    return ds, journal, sb, tm


def canon(doc: Any) -> Any:
    """JSON with list order removed (a reloaded tree may order list entries differently)."""
    import json

    if isinstance(doc, dict):
        return {k: canon(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return sorted((canon(v) for v in doc), key=lambda v: json.dumps(v, sort_keys=True))
    return doc


def running_doc(ds: Datastores) -> Any:
    import json

    return canon(json.loads(ds.running.json() or "{}"))


def mirror_doc(sb: RecordingSouthbound) -> Any:
    """What the recording southbound holds, in the same canonical form as :func:`running_doc`."""
    import json

    return canon(json.loads(sb.json() or "{}"))
