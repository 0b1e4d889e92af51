"""What the NETCONF server needs from the transaction layer (``agent.txn.TransactionManager``).

Declared as a Protocol so the server depends on the behaviour, not on the class, and so the two can be
built at the same time against the shared contract.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from agent.datastore.session import Session
from agent.datastore.store import Datastores, EditResult


class Transactions(Protocol):
    async def commit(
        self,
        session: Session,
        *,
        confirmed: bool = False,
        confirm_timeout: int = 600,
        persist: str | None = None,
        persist_id: str | None = None,
        comment: str | None = None,
    ) -> Any: ...

    async def cancel_commit(self, session: Session, persist_id: str | None = None) -> Any: ...

    async def rollback(self, checkpoint_id: int, session: Session) -> Any: ...

    def list_checkpoints(self) -> list[Any]: ...

    async def dry_run(self, session: Session) -> Any: ...

    async def edit_running(self, session: Session, edit: Callable[[Datastores], EditResult]) -> Any: ...

    async def edit_running_xml(
        self, session: Session, config: Any, **kwargs: Any
    ) -> tuple[EditResult, Any]: ...

    async def save_startup(self, session: Session) -> None: ...

    def session_ended(self, session: Session) -> Any: ...

    def subscribe(self) -> AsyncIterator[Any]: ...
