"""The NMDA datastores (RFC 8342) and every operation the protocol servers perform on them.

:class:`Datastores` is the facade: NETCONF, gNMI, the CLI and RADIUS CoA call it (and the transaction
layer, :mod:`agent.txn`, drives commits through :meth:`Datastores.prepare_commit` and
:meth:`Datastores.install`); none of them touches a libyang tree directly.

How the trees are held (docs/architecture.md, "Data held by libyang, committed trees never modified"):

* ``running`` is a :class:`RunningView` over a tree that is never modified after it was installed.
  A reader that took the view keeps reading the same tree even if a commit installs another one.
* ``candidate`` is copy-on-write: after a commit it shares the running tree, and the first edit gives it
  its own copy. That copy is usually the previous running tree brought up to date by re-copying only the
  subtrees the last commit touched (cost ~ size of the change), so a steady stream of small commits never
  duplicates or frees the whole datastore; a full copy is made only when a reader still holds the old
  running tree.
* Every edit records the data paths it touched. :meth:`pending_changes` and :meth:`prepare_commit`
  compare running and candidate only under those paths, so a one-leaf change on a datastore of 10,000
  interfaces costs what one leaf costs. A full comparison (:func:`agent.datastore.diff.diff_trees`) is
  used only when the touched set is unknown (after :meth:`replace_candidate` or a copy-config).
* Edits are atomic: an edit is applied in place with an undo log, and undone on error.
* Long libyang work does not block the event loop: ``edit_config_async``, ``read_async``,
  ``validate_async`` and ``prepare_commit_async`` run large parses, full validations and prints in a
  worker thread; the candidate is serialised behind an asyncio lock and a commit validates a private
  copy of it (see "async variants" below; numbers in docs/performance.md).

Decision about ``test-option`` on the candidate: edits are checked against the schema and the RFC 6241
operation rules as they are applied (unknown nodes, types, ranges, patterns, keys, data-exists /
data-missing), but the candidate as a whole is only validated by ``<validate>`` and ``<commit>``,
because a candidate is routinely invalid between the edits that build it up (a leafref to an entry that
the next edit adds). This is what netopeer2/sysrepo do too. Edits of ``running`` are validated fully as
part of their commit.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import libyang
from lxml import etree

from agent.datastore import diff as diffmod
from agent.datastore import read as readmod
from agent.datastore import unapplied
from agent.datastore.changes import Change, JSONValue
from agent.datastore.edit_gnmi import apply_gnmi_edit
from agent.datastore.edit_xml import EditOutcome, apply_xml_edit, parse_config_element
from agent.datastore.errors import DatastoreError, EditError, InUseError, LockDeniedError
from agent.datastore.locks import LockTable
from agent.datastore.operational import OperationalRegistry
from agent.datastore.schema_deps import schema_deps
from agent.datastore.session import Session
from agent.datastore.targeted import check_value_changes
from agent.datastore.tree import DataTree, Format, WithDefaults, data_size_at_most
from agent.errors import ErrorDetail
from agent.model import ModelSet

DatastoreName = Literal["running", "candidate", "startup", "operational", "intended"]
EditTarget = Literal["candidate", "running"]
DefaultOperation = Literal["merge", "replace", "none"]
ErrorOption = Literal["stop-on-error", "continue-on-error", "rollback-on-error"]
TestOption = Literal["test-then-set", "set", "test-only"]
TreeInput = DataTree | libyang.DNode | str | None

_T = TypeVar("_T")

_SMALL_CHANGE = 64  # touched paths up to which a commit first checks whether it may skip full validation
_MODULE_SCOPE_MAX = 1024  # touched paths up to which a commit checks which modules need validation
_IN_PLACE_NODES = 500  # data nodes of the modules to validate up to which async commits validate on the loop

__all__ = [
    "Datastores",
    "EditResult",
    "PreparedCommit",
    "RunningEdit",
    "RunningView",
]


# ------------------------------------------------------------------------------------------ value types


@dataclass(frozen=True)
class RunningView:
    """An immutable snapshot of committed configuration.

    Keep the view (not just ``dnode``) alive while using the tree: the tree is freed when the last view
    of a superseded running configuration goes away.
    """

    tree: DataTree
    generation: int

    @property
    def dnode(self) -> libyang.DNode | None:
        """The first top-level node as a binding DNode (borrowed: never free or modify it)."""
        return self.tree.tree

    def print(self, fmt: Format = "json", *, with_defaults: WithDefaults | None = None) -> str:
        return self.tree.print(fmt, with_defaults=with_defaults)

    def json(self) -> str:
        """JSON-IETF text of the whole configuration (what the journal snapshots)."""
        return self.tree.print("json", with_defaults="explicit")


@dataclass
class RunningEdit:
    """An edit of ``running`` waiting for its commit: a private working copy of running plus what it touched.

    Returned in :attr:`EditResult.running_edit` by edits whose target is ``running``; the transaction
    layer passes it to :meth:`Datastores.prepare_commit` (``edit=``). Nothing is visible until installed.
    """

    tree: DataTree
    touched: set[str]
    base_generation: int
    session_id: int
    full: bool = False  # True when ``touched`` does not describe the difference (copy-config)


@dataclass
class EditResult:
    """What an edit did.

    ``errors`` is non-empty only under ``continue-on-error`` (every other error-option raises
    :class:`~agent.datastore.errors.EditError` instead and leaves the target untouched). For a target of
    ``running`` the edit is not applied yet: ``running_edit`` must go through the transaction layer.
    """

    changed: bool
    touched: list[str]
    errors: list[ErrorDetail] = field(default_factory=list)
    running_edit: RunningEdit | None = None


@dataclass
class PreparedCommit:
    """A fully validated new running configuration and the changes that lead to it; no side effect yet.

    ``tree`` becomes running on :meth:`Datastores.install`. Dropping a prepared commit without
    installing it is fine (the candidate is unchanged).
    """

    tree: DataTree
    changes: list[Change]
    base_generation: int
    session_id: int
    touched: set[str] | None
    from_candidate: bool

    @property
    def empty(self) -> bool:
        return not self.changes


# -------------------------------------------------------------------------------------------- facade


class Datastores:
    """running / candidate / startup / operational / intended, with edits, reads, locks and commits."""

    def __init__(
        self,
        model: ModelSet,
        *,
        running: TreeInput = None,
        startup: TreeInput = None,
    ) -> None:
        self.model = model
        self.ctx: libyang.Context = model.ctx
        self._generation = 1
        self._running = self._own(running)
        self._running.validate()
        self._startup = self._own(startup)
        if not self._startup.empty:
            self._startup.validate()
        self._cand = self._running  # shared until the first edit
        self._cand_shared = True
        self._touched: set[str] | None = set()  # candidate vs running; None = unknown (full diff)
        self._touched_since_prepare: set[str] | None = None
        self._cand_owner: int | None = None
        self._cand_dirty = False
        self._spare: DataTree | None = None  # previous running, reusable as the next candidate copy
        self._spare_paths: set[str] | None = None
        # A running edit may take the spare in a worker thread while the loop takes it for the candidate.
        self._spare_lock = threading.Lock()
        # Long libyang work on the candidate (a large edit's parse, full validation, printing) runs in a
        # worker thread under this lock; _busy is the tree the worker holds (see _in_worker).
        self._cand_lock: asyncio.Lock | None = None
        self._busy: DataTree | None = None
        self._busy_dropped = False
        self.locks = LockTable()
        self.operational = OperationalRegistry(self.ctx)
        self._not_applied: tuple[int, dict[str, Any]] = (0, {})
        self.operational.register("/bng-agent:agent-state", self._not_applied_state)

    # ------------------------------------------------------------------------------------ not applied

    def _not_applied_state(self) -> dict[str, Any]:
        """``agent-state/not-applied``, recomputed only when running changed."""
        generation, doc = self._not_applied
        if generation != self._generation:
            doc = unapplied.agent_state(self._running.root)
            self._not_applied = (self._generation, doc)
        return doc

    @staticmethod
    def strip_unapplied(tree: DataTree) -> None:
        """Remove what the agent does not apply from a private copy (an operational read)."""
        unapplied.strip(tree.root, tree.free_node)

    # ------------------------------------------------------------------------------------ properties

    @property
    def running(self) -> RunningView:
        """The committed configuration (an immutable snapshot)."""
        return RunningView(self._running, self._generation)

    @property
    def generation(self) -> int:
        """Incremented by every install / set_running; lets callers detect a changed running."""
        return self._generation

    @property
    def candidate_dirty(self) -> bool:
        """True when the candidate has edits that are neither committed nor discarded."""
        return self._cand_dirty

    @property
    def candidate_owner(self) -> int | None:
        """Session id that first modified the candidate since it was last clean."""
        return self._cand_owner if self._cand_dirty else None

    # ---------------------------------------------------------------------------------------- edits

    def edit_config(
        self,
        target: EditTarget,
        config: etree._Element,
        *,
        default_operation: DefaultOperation = "merge",
        error_option: ErrorOption = "stop-on-error",
        test_option: TestOption = "test-then-set",
        session: Session,
    ) -> EditResult:
        """RFC 6241 ``<edit-config>`` with a ``<config>`` element (or its single child subtree).

        Raises :class:`EditError` (tag data-exists, data-missing, unknown-element, unknown-namespace,
        bad-element, bad-attribute, missing-element, invalid-value, operation-failed) with the instance
        path, or :class:`InUseError` if another session holds the target's lock.
        """
        _check_choice("default-operation", default_operation, ("merge", "replace", "none"))
        _check_choice(
            "error-option", error_option, ("stop-on-error", "continue-on-error", "rollback-on-error")
        )
        _check_choice("test-option", test_option, ("test-then-set", "set", "test-only"))
        elems = parse_config_element(config)

        def run(tree: DataTree) -> EditOutcome:
            return apply_xml_edit(
                self.ctx, tree, elems, default_operation=default_operation, error_option=error_option
            )

        return self._edit(target, run, session, test_only=test_option == "test-only")

    def edit_gnmi(
        self,
        target: EditTarget,
        *,
        deletes: list[str],
        replaces: list[tuple[str, JSONValue]],
        updates: list[tuple[str, JSONValue]],
        session: Session,
    ) -> EditResult:
        """gNMI ``Set`` semantics: deletes, then replaces, then updates; all or nothing.

        Paths are libyang data paths (``/ietf-interfaces:interfaces/interface[name='x']``); values are
        JSON-IETF (RFC 7951). Deleting a node that does not exist is silently accepted (gNMI spec 3.4.6).
        """

        def run(tree: DataTree) -> EditOutcome:
            return apply_gnmi_edit(self.ctx, tree, deletes=deletes, replaces=replaces, updates=updates)

        return self._edit(target, run, session, test_only=False)

    def _edit(self, target: str, run: Any, session: Session, *, test_only: bool) -> EditResult:
        if target not in ("candidate", "running"):
            raise EditError(f"cannot edit the {target} datastore", tag="invalid-value", error_type="protocol")
        self.locks.check_writable(target, session)
        if target == "running":
            work = self._fresh_running_copy()
            outcome = run(work)
            if outcome.fatal:
                outcome.undo.discard()
                raise outcome.error()
            outcome.undo.discard()
            if test_only:
                return EditResult(changed=False, touched=sorted(outcome.touched), errors=outcome.errors)
            edit = RunningEdit(work, set(outcome.touched), self._generation, session.id)
            return EditResult(
                changed=outcome.changed,
                touched=sorted(outcome.touched),
                errors=outcome.errors,
                running_edit=edit,
            )
        self._check_candidate_idle()
        tree = self._writable_candidate()
        return self._finish_candidate_edit(_run_edit(run, tree, test_only), session, test_only)

    def _finish_candidate_edit(self, outcome: EditOutcome, session: Session, test_only: bool) -> EditResult:
        if outcome.fatal:
            raise outcome.error()
        if test_only:
            return EditResult(changed=False, touched=sorted(outcome.touched))
        if outcome.changed:
            self._note_touched(outcome.touched)
            if not self._cand_dirty:
                self._cand_dirty = True
                self._cand_owner = session.id
        return EditResult(changed=outcome.changed, touched=sorted(outcome.touched), errors=outcome.errors)

    def _note_touched(self, paths: set[str]) -> None:
        if self._touched is not None:
            self._touched |= paths
        if self._touched_since_prepare is not None:
            self._touched_since_prepare |= paths

    # ----------------------------------------------------------------------------------------- reads

    def read(
        self,
        datastore: DatastoreName,
        *,
        xpath: str | None = None,
        subtree: etree._Element | None = None,
        with_defaults: WithDefaults | None = None,
        config_only: bool = True,
        fmt: Format = "xml",
        applied_only: bool = False,
    ) -> str:
        """Read a datastore, filtered by an XPath or an RFC 6241 subtree filter, in XML or JSON-IETF.

        ``with_defaults`` follows RFC 6243 (None = the server's basic mode, ``explicit``). XML output is
        the sequence of top-level elements (no ``<data>`` wrapper); JSON output is one JSON-IETF object.
        ``config_only=False`` includes state data (only the operational datastore has any).
        ``applied_only`` (operational only) leaves out configuration the agent does not apply yet
        (:mod:`agent.datastore.unapplied`), as RFC 8342's ``<operational>`` must; ``<get>`` keeps it.
        """
        tree = self.read_tree(
            datastore, xpath=xpath, subtree=subtree, config_only=config_only, applied_only=applied_only
        )
        try:
            return tree.print(fmt, with_defaults=with_defaults)
        finally:
            tree.close()

    def read_tree(
        self,
        datastore: DatastoreName,
        *,
        xpath: str | None = None,
        subtree: etree._Element | None = None,
        config_only: bool = True,
        applied_only: bool = False,
    ) -> DataTree:
        """Like :meth:`read` but returns a private copy of the selected data (the caller owns it)."""
        source, owned = self._source_tree(datastore, xpath, subtree, config_only, applied_only)
        if owned and xpath is None and subtree is None and not config_only:
            return source  # the whole operational copy is already private: no second copy
        try:
            return readmod.select(self.ctx, source, xpath=xpath, subtree=subtree, config_only=config_only)
        finally:
            if owned:
                source.close()

    def _source_tree(
        self,
        datastore: str,
        xpath: str | None,
        subtree: etree._Element | None,
        config_only: bool,
        applied_only: bool = False,
    ) -> tuple[DataTree, bool]:
        if datastore in ("running", "intended"):
            return self._running, False
        if datastore == "candidate":
            self._check_candidate_idle()
            return self._cand, False
        if datastore == "startup":
            return self._startup, False
        if datastore == "operational":
            tree = self._running.dup()
            if applied_only:
                self.strip_unapplied(tree)
            if not config_only:
                self.operational.merge_into(tree, readmod.filter_roots(xpath, subtree, self.model.ctx))
            return tree, True
        raise DatastoreError(f"unknown datastore {datastore!r}", tag="invalid-value", error_type="protocol")

    # ------------------------------------------------------------------------------------ validation

    def validate(self, source: DatastoreName | etree._Element) -> None:
        """RFC 6241 ``<validate>``: full YANG validation; raises ValidationError with libyang's path."""
        if isinstance(source, str):
            if source in ("running", "intended"):
                tree = self._running.dup()
            elif source == "candidate":
                self._check_candidate_idle()
                tree = self._cand.dup()
            elif source == "startup":
                tree = self._startup.dup()
            else:
                raise DatastoreError(
                    f"cannot validate {source!r}", tag="invalid-value", error_type="protocol"
                )
        else:
            tree = self._tree_from_config(source)
        try:
            tree.validate()
        finally:
            tree.close()

    def _tree_from_config(self, config: etree._Element) -> DataTree:
        tree = DataTree(self.ctx)
        outcome = apply_xml_edit(
            self.ctx,
            tree,
            parse_config_element(config),
            default_operation="merge",
            error_option="stop-on-error",
        )
        outcome.undo.discard()
        if outcome.fatal:
            tree.close()
            raise outcome.error()
        return tree

    # ----------------------------------------------------------------------- discard / copy / delete

    def discard_changes(self, session: Session) -> None:
        """RFC 6241 ``<discard-changes>``: the candidate becomes equal to running again."""
        self.locks.check_writable("candidate", session)
        self._reset_candidate()

    def _reset_candidate(self) -> None:
        self._drop_candidate_tree()
        self._cand = self._running
        self._cand_shared = True
        self._touched = set()
        self._touched_since_prepare = None
        self._cand_dirty = False
        self._cand_owner = None

    def copy_config(
        self, source: DatastoreName | etree._Element, target: DatastoreName, session: Session
    ) -> EditResult:
        """RFC 6241 ``<copy-config>``. Target candidate or startup is replaced at once; target running
        returns a :class:`RunningEdit` that the transaction layer commits."""
        if target not in ("candidate", "startup", "running"):
            raise EditError(f"cannot copy to {target}", tag="invalid-value", error_type="protocol")
        if isinstance(source, str) and source == target:
            raise EditError(
                "source and target are the same datastore", tag="invalid-value", error_type="protocol"
            )
        self.locks.check_writable(target, session)
        new = self._tree_copy_of(source)
        if target == "startup":
            new.validate()
            self._startup.close()
            self._startup = new
            return EditResult(changed=True, touched=["/"])
        if target == "running":
            edit = RunningEdit(new, set(), self._generation, session.id, full=True)
            return EditResult(changed=True, touched=["/"], running_edit=edit)
        self.replace_candidate(new, session=session)
        return EditResult(changed=True, touched=["/"])

    def _tree_copy_of(self, source: DatastoreName | etree._Element) -> DataTree:
        if isinstance(source, str):
            if source in ("running", "intended"):
                return self._running.dup()
            if source == "candidate":
                self._check_candidate_idle()
                return self._cand.dup()
            if source == "startup":
                return self._startup.dup()
            raise EditError(f"cannot copy from {source}", tag="invalid-value", error_type="protocol")
        return self._tree_from_config(source)

    def delete_config(self, target: DatastoreName, session: Session) -> None:
        """RFC 6241 ``<delete-config>``: startup is emptied; running cannot be deleted."""
        if target == "running":
            raise EditError(
                "the running datastore cannot be deleted", tag="operation-failed", error_type="protocol"
            )
        if target not in ("startup", "candidate"):
            raise EditError(f"cannot delete {target}", tag="invalid-value", error_type="protocol")
        self.locks.check_writable(target, session)
        held = self.locks.holder(target)
        if held is not None and held != session.id:
            raise InUseError(f"{target} is locked by session {held}", info={"session-id": str(held)})
        if target == "startup":
            self._startup.close()
            self._startup = DataTree(self.ctx)
        else:
            self.replace_candidate(DataTree(self.ctx), session=session)

    # ----------------------------------------------------------------------------------------- locks

    def lock(self, datastore: DatastoreName, session: Session) -> None:
        """RFC 6241 ``<lock>``; refused (lock-denied, holder's session-id in info) if held or, for the
        candidate, while it holds uncommitted changes of another session."""
        if datastore == "candidate" and self._cand_dirty and self._cand_owner != session.id:
            owner = self._cand_owner or 0
            raise LockDeniedError(
                "the candidate has uncommitted changes of another session", info={"session-id": str(owner)}
            )
        self.locks.acquire(datastore, session)

    def unlock(self, datastore: DatastoreName, session: Session) -> None:
        """RFC 6241 ``<unlock>``. Unlocking the candidate does not discard its changes."""
        self.locks.release(datastore, session)

    def release_session(self, session: Session) -> None:
        """A session ended: release its locks; a candidate it had locked loses its uncommitted changes
        (RFC 6241 8.3.5.2)."""
        released = self.locks.release_all(session)
        if "candidate" in released and self._cand_dirty:
            self._reset_candidate()

    # --------------------------------------------------------------------------------------- commits

    def pending_changes(self) -> list[Change]:
        """What the candidate changes relative to running (cost ~ size of the change, not of the data)."""
        if self._cand is self._running:
            return []
        self._check_candidate_idle()
        if self._touched is None:
            return diffmod.diff_trees(self._running, self._cand)
        return diffmod.changes_for_paths(self._running, self._cand, self._touched)

    def prepare_commit(self, session: Session, *, edit: RunningEdit | None = None) -> PreparedCommit:
        """Validate the candidate (or a :class:`RunningEdit`) fully and compute its changes; no side effect.

        Raises ValidationError (libyang's message and instance path) or InUseError when running (or, for
        a candidate commit, the candidate) is locked by another session.
        """
        self.locks.check_writable("running", session)
        if edit is not None:
            if edit.base_generation != self._generation:
                raise DatastoreError("running changed since this edit was made; retry", tag="in-use")
            touched: set[str] | None = None if edit.full else edit.touched
            return self._prepare_tree(edit.tree, touched, session, from_candidate=False)
        self.locks.check_writable("candidate", session)
        if self._cand is self._running:
            return PreparedCommit(self._running, [], self._generation, session.id, set(), from_candidate=True)
        self._check_candidate_idle()
        tree = self._writable_candidate() if self._cand_shared else self._cand
        prepared = self._prepare_tree(tree, self._touched, session, from_candidate=True)
        # The prepared tree must stay as validated: later candidate edits copy it first.
        self._cand_shared = True
        self._touched_since_prepare = set()
        return prepared

    def _prepare_tree(
        self, tree: DataTree, touched: set[str] | None, session: Session, *, from_candidate: bool
    ) -> PreparedCommit:
        early = self._prepare_unvalidated(tree, touched, session, from_candidate=from_candidate)
        if early is not None:
            return early
        return self._prepare_validated(tree, touched, session, from_candidate=from_candidate)

    def _prepare_unvalidated(
        self, tree: DataTree, touched: set[str] | None, session: Session, *, from_candidate: bool
    ) -> PreparedCommit | None:
        """The prepared commit when a reduced check proves the change valid, else None (cheap).

        Only free leaves changed (see schema_deps): nothing can have become invalid. Only leaf values
        changed: the musts they can affect are re-evaluated where they can be affected (see targeted);
        anything else, or any failing re-check, leaves the commit to full validation (which reports
        the exact error).
        """
        if touched is not None and len(touched) <= _SMALL_CHANGE:
            deps = schema_deps(self.ctx)
            if deps.all_leaves(touched, tree):
                early = diffmod.changes_for_paths(self._running, tree, touched)
                if not deps.changes_need_validation(early, tree) or check_value_changes(
                    deps, self._running, tree, early
                ):
                    return PreparedCommit(
                        tree, early, self._generation, session.id, set(touched), from_candidate
                    )
        return None

    def _small_module_scope(self, tree: DataTree, touched: set[str] | None) -> bool:
        """True when validating ``tree`` means validating only modules with little data (cheap)."""
        if touched is None or len(touched) > _MODULE_SCOPE_MAX:
            return False
        modules = schema_deps(self.ctx).modules_to_validate(touched, self._running, tree)
        return modules is not None and data_size_at_most(tree, modules, _IN_PLACE_NODES)

    def _prepare_validated(
        self, tree: DataTree, touched: set[str] | None, session: Session, from_candidate: bool
    ) -> PreparedCommit:
        """Validation of ``tree`` (in place) and its changes relative to running.

        With a known, not too large touched set, only the modules whose data the change can affect are
        validated (see SchemaDeps.modules_to_validate); otherwise the whole tree.
        """
        modules = None
        if touched is not None and len(touched) <= _MODULE_SCOPE_MAX:
            modules = schema_deps(self.ctx).modules_to_validate(touched, self._running, tree)
        if modules is None:
            tree.validate()
        else:
            tree.validate_modules(modules)
        if touched is not None:
            # Validation deletes nodes whose `when` became false; such conditions almost always look at
            # siblings (`../type`), so a changed leaf is compared together with its whole parent entry.
            touched = diffmod.widen_leaves(touched, tree, self._running)
            changes = diffmod.changes_for_paths(self._running, tree, touched)
        else:
            changes = diffmod.diff_trees(self._running, tree)
        return PreparedCommit(tree, changes, self._generation, session.id, touched, from_candidate)

    def install(self, prepared: PreparedCommit) -> None:
        """Make the prepared tree running (O(1)); the candidate follows (its later edits are kept)."""
        if prepared.base_generation != self._generation:
            raise DatastoreError("running changed since the commit was prepared", tag="in-use")
        if prepared.tree is self._running:
            return
        old = self._running
        self._running = prepared.tree
        self._generation += 1
        if prepared.from_candidate:
            if self._cand is prepared.tree or (self._cand is old and self._cand_shared):
                # the candidate is what was committed (or was discarded meanwhile): it follows running
                self._cand = self._running
                self._cand_shared = True
                self._touched = set()
                self._cand_dirty = False
                self._cand_owner = None
            else:
                self._touched = self._touched_since_prepare
            self._touched_since_prepare = None
        else:
            # running moved under an unrelated candidate: its touched set no longer describes the difference
            if self._cand is old:
                self._cand = self._running
            else:
                self._touched = None
        self._keep_spare(old, prepared.touched)

    def _keep_spare(self, old: DataTree, paths: set[str] | None) -> None:
        with self._spare_lock:
            if paths is None or old is self._cand:
                self._spare, self._spare_paths = None, None
                return
            self._spare = old
            self._spare_paths = set(paths)

    def replace_candidate(self, tree: TreeInput, *, session: Session | None = None) -> None:
        """Replace the candidate's content (rollback, confirmed-commit revert, copy-config).

        The datastore takes ownership of ``tree``. The touched set becomes unknown, so the next
        pending_changes/prepare_commit does one full diff.
        """
        new = self._own(tree)
        self._drop_candidate_tree()
        self._cand = new
        self._cand_shared = False
        self._touched = None
        self._touched_since_prepare = None
        self._cand_dirty = True
        self._cand_owner = session.id if session is not None else 0

    def set_running(self, tree: TreeInput) -> None:
        """Install ``tree`` as running directly (start-up load). Validates it; the candidate is reset."""
        new = self._own(tree)
        new.validate()
        self._drop_candidate_tree()
        self._running = new
        self._generation += 1
        self._spare = None
        self._cand = self._running
        self._cand_shared = True
        self._touched = set()
        self._touched_since_prepare = None
        self._cand_dirty = False
        self._cand_owner = None

    def set_startup(self, tree: TreeInput) -> None:
        """Replace the startup datastore (start-up load from the journal)."""
        new = self._own(tree)
        if not new.empty:
            new.validate()
        self._startup = new

    # ------------------------------------------------------------------ async variants (worker thread)
    #
    # docs/architecture.md: long work never blocks other sessions. cffi releases the GIL during libyang
    # calls, so a large edit's parse, a full validation or the print of a large tree runs in a worker
    # thread while the event loop keeps serving reads of running (an immutable tree: safe to read from
    # any thread). The candidate is mutable, so everything a worker does with it happens under
    # ``_cand_lock``, one worker at a time; the synchronous methods refuse (in-use) to read or edit the
    # candidate while a worker holds it, and a discard / copy-config that replaces it meanwhile leaves
    # the old tree to the worker instead of freeing it under its feet.

    def _candidate_lock(self) -> asyncio.Lock:
        if self._cand_lock is None:
            self._cand_lock = asyncio.Lock()
        return self._cand_lock

    def _check_candidate_idle(self) -> None:
        if self._busy is not None and self._busy is self._cand:
            raise InUseError("the candidate is being edited or validated by another operation; retry")

    def _drop_candidate_tree(self) -> None:
        """Forget the candidate's own tree: free it, unless a worker thread holds it (then it is the
        worker's to free or to keep)."""
        if self._cand_shared:
            return
        if self._cand is self._busy:
            self._busy_dropped = True
            return
        self._cand.close()

    async def _in_worker(self, tree: DataTree, fn: Callable[..., _T], *args: Any) -> tuple[_T, bool]:
        """Run ``fn(*args)`` in a worker thread while it owns ``tree`` (the candidate); return its result
        and whether the candidate was replaced meanwhile (then ``tree`` is no longer the candidate)."""
        self._busy, self._busy_dropped = tree, False
        try:
            result = await asyncio.to_thread(fn, *args)
        finally:
            dropped = self._busy_dropped
            self._busy, self._busy_dropped = None, False
        return result, dropped

    async def edit_config_async(
        self,
        target: EditTarget,
        config: etree._Element,
        *,
        default_operation: DefaultOperation = "merge",
        error_option: ErrorOption = "stop-on-error",
        test_option: TestOption = "test-then-set",
        session: Session,
    ) -> EditResult:
        """:meth:`edit_config` with the parse and edit of a candidate in a worker thread.

        Edits of ``running`` are made inside the transaction owner task (``edit_running``) and stay
        synchronous here.
        """
        if target != "candidate":
            return self.edit_config(
                target,
                config,
                default_operation=default_operation,
                error_option=error_option,
                test_option=test_option,
                session=session,
            )
        _check_choice("default-operation", default_operation, ("merge", "replace", "none"))
        _check_choice(
            "error-option", error_option, ("stop-on-error", "continue-on-error", "rollback-on-error")
        )
        _check_choice("test-option", test_option, ("test-then-set", "set", "test-only"))
        elems = parse_config_element(config)
        test_only = test_option == "test-only"

        def run(tree: DataTree) -> EditOutcome:
            return apply_xml_edit(
                self.ctx, tree, elems, default_operation=default_operation, error_option=error_option
            )

        async with self._candidate_lock():
            self.locks.check_writable("candidate", session)
            if not _is_large(elems):
                # a small edit costs less than the hop to a worker thread and back
                return self._edit("candidate", run, session, test_only=test_only)
            tree = self._writable_candidate()
            outcome, dropped = await self._in_worker(tree, _run_edit, run, tree, test_only)
            if dropped:
                # discarded (or replaced) while the edit ran: as if the edit had come first
                tree.close()
                if outcome.fatal:
                    raise outcome.error()
                return EditResult(changed=False, touched=sorted(outcome.touched), errors=outcome.errors)
            return self._finish_candidate_edit(outcome, session, test_only)

    async def read_async(
        self,
        datastore: DatastoreName,
        *,
        xpath: str | None = None,
        subtree: etree._Element | None = None,
        with_defaults: WithDefaults | None = None,
        config_only: bool = True,
        fmt: Format = "xml",
        applied_only: bool = False,
    ) -> str:
        """:meth:`read`, selecting and printing running or candidate in a worker thread."""
        if datastore in ("running", "intended"):
            view = self.running  # keeps the tree alive while the worker reads it

            def read_running() -> str:
                tree = readmod.select(
                    self.ctx, view.tree, xpath=xpath, subtree=subtree, config_only=config_only
                )
                try:
                    return tree.print(fmt, with_defaults=with_defaults)
                finally:
                    tree.close()

            return await asyncio.to_thread(read_running)
        if datastore != "candidate":
            return self.read(
                datastore,
                xpath=xpath,
                subtree=subtree,
                with_defaults=with_defaults,
                config_only=config_only,
                applied_only=applied_only,
                fmt=fmt,
            )
        async with self._candidate_lock():
            cand = self._cand

            def read_candidate() -> str:
                tree = readmod.select(self.ctx, cand, xpath=xpath, subtree=subtree, config_only=config_only)
                try:
                    return tree.print(fmt, with_defaults=with_defaults)
                finally:
                    tree.close()

            text, _ = await self._in_worker(cand, read_candidate)
            return text

    async def validate_async(self, source: DatastoreName | etree._Element) -> None:
        """:meth:`validate` with the copy and the full validation in a worker thread."""
        if source in ("running", "intended"):
            view = self.running
            await asyncio.to_thread(_validate_copy, view.tree)
            return
        if source != "candidate":
            self.validate(source)
            return
        async with self._candidate_lock():
            cand = self._cand
            await self._in_worker(cand, _validate_copy, cand)

    async def prepare_commit_async(
        self, session: Session, *, edit: RunningEdit | None = None
    ) -> PreparedCommit:
        """:meth:`prepare_commit` with the validation and the change computation in a worker thread.

        The transaction owner task calls this; reads of running go on meanwhile, and candidate edits
        wait for the candidate lock (the tree being validated is the candidate).
        """
        self.locks.check_writable("running", session)
        if edit is not None:
            if edit.base_generation != self._generation:
                raise DatastoreError("running changed since this edit was made; retry", tag="in-use")
            touched: set[str] | None = None if edit.full else set(edit.touched)
            return await asyncio.to_thread(
                self._prepare_tree, edit.tree, touched, session, from_candidate=False
            )
        async with self._candidate_lock():
            self.locks.check_writable("candidate", session)
            if self._cand is self._running:
                return PreparedCommit(
                    self._running, [], self._generation, session.id, set(), from_candidate=True
                )
            tree = self._writable_candidate() if self._cand_shared else self._cand
            cand_touched = set(self._touched) if self._touched is not None else None
            early = self._prepare_unvalidated(tree, cand_touched, session, from_candidate=True)
            if early is not None:
                self._cand_shared = True
                self._touched_since_prepare = set()
                return early
            if self._small_module_scope(tree, cand_touched):
                # Only modules with little data need validation: validate the candidate itself, here on
                # the loop like prepare_commit does (no await, so no edit interleaves), instead of
                # copying the whole candidate for a worker.
                prepared = self._prepare_validated(tree, cand_touched, session, True)
                self._cand_shared = True
                self._touched_since_prepare = set()
                return prepared
            # Validate a private copy: synchronous callers may keep editing the candidate meanwhile
            # (async edits wait for the lock). Edits made during the validation are recorded in
            # _touched_since_prepare and stay in the candidate after the commit.
            # The copy is made on the loop (~25 ms for 10,000 entries): in a worker it would have to lock
            # synchronous callers out of the candidate meanwhile.
            copy = tree.dup()
            self._touched_since_prepare = set()  # a discard meanwhile resets it to None
            try:
                prepared = await asyncio.to_thread(
                    self._prepare_validated, copy, cand_touched, session, from_candidate=True
                )
            except BaseException:
                copy.close()
                self._touched_since_prepare = None
                raise
            if self._cand is tree and not self._touched_since_prepare:
                # Nothing happened meanwhile: the validated copy becomes the candidate (as the
                # synchronous prepare_commit does), and the original is freed off the loop.
                self._cand = copy
                self._cand_shared = True
                await asyncio.to_thread(tree.close)
            return prepared

    # -------------------------------------------------------------------------------------- internals

    def _own(self, tree: TreeInput) -> DataTree:
        if tree is None:
            return DataTree(self.ctx)
        if isinstance(tree, DataTree):
            return tree
        if isinstance(tree, str):
            return DataTree.parse(self.ctx, tree, "json", validate=False)
        return DataTree.adopt(self.ctx, tree)

    def _fresh_running_copy(self) -> DataTree:
        """A private copy of running: the spare previous running brought up to date when possible."""
        spare = self._take_spare()
        return spare if spare is not None else self._running.dup()

    def _take_spare(self) -> DataTree | None:
        with self._spare_lock:
            spare, paths = self._spare, self._spare_paths
            self._spare, self._spare_paths = None, None
        if spare is None or paths is None:
            return None
        # Referenced only by `spare` here and getrefcount's argument: no reader holds the old running.
        if sys.getrefcount(spare) > 2:
            return None
        diffmod.sync_paths(self._running, spare, paths)
        return spare

    def _writable_candidate(self) -> DataTree:
        if self._cand_shared:
            src = self._cand
            copy = self._fresh_running_copy() if src is self._running else src.dup()
            self._cand = copy
            self._cand_shared = False
        return self._cand


def _run_edit(run: Callable[[DataTree], EditOutcome], tree: DataTree, test_only: bool) -> EditOutcome:
    """Apply an edit to ``tree``; undo it again if it failed or was only a test."""
    outcome = run(tree)
    if outcome.fatal or test_only:
        outcome.undo.rollback(tree)
    else:
        outcome.undo.discard()
    return outcome


_LARGE_EDIT = 256  # elements (or JSON values) from which an edit is parsed in a worker thread


def is_large_edit(config: etree._Element) -> bool:
    """True when an ``<edit-config>`` is big enough to be worth a worker thread (see _LARGE_EDIT)."""
    return _is_large(parse_config_element(config))


def is_large_json(values: list[JSONValue]) -> bool:
    """True when gNMI-style JSON values hold at least _LARGE_EDIT scalars and members (counting stops)."""
    count = 0
    stack = list(values)
    while stack:
        v = stack.pop()
        count += 1
        if count >= _LARGE_EDIT:
            return True
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def _is_large(elems: list[etree._Element]) -> bool:
    """True when the edit has at least _LARGE_EDIT elements (counting stops there: O(1) for big edits)."""
    count = 0
    for elem in elems:
        for _ in elem.iter():
            count += 1
            if count >= _LARGE_EDIT:
                return True
    return False


def _validate_copy(tree: DataTree) -> None:
    """Validate a private copy of ``tree`` (validation adds and removes nodes; the original stays)."""
    copy = tree.dup()
    try:
        copy.validate()
    finally:
        copy.close()


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise EditError(f"bad {name} {value!r}", tag="invalid-value", error_type="protocol")
