"""libyang C functions the Python binding's cffi module does not declare, bound through cffi's ABI mode.

The binding compiles only the functions it uses itself; the datastore also needs to insert top-level
siblings, unlink subtrees for undo, change a term value in place and compare nodes. These (and the
schema analysis's ``lys_find_expr_atoms``, per-module validation, single-expression evaluation, and
``lyd_new_list2``/``lyd_value_validate``, which binding 3.x no longer declares) are declared here
against the very shared library the binding loaded (:data:`agent.model.libyang_c.LIBRARY`:
``libyang.so.2`` on Debian 12, ``libyang.so.3`` on Debian 13) with ``void *`` node pointers; :func:`p`
converts a pointer from the binding's ``ffi`` into this one and :func:`back` the other way, so both sets
of functions operate on the very same C structures. The declarations below were compared with the
libyang 2.1.30 and 3.12.2 headers: the same in both except the two declared per version, and
``lyd_unlink_tree``, which returns an ``LY_ERR`` in 3.x instead of nothing (declared ``void``: the result
is not used).
"""

from __future__ import annotations

from typing import Any

import cffi
from _libyang import ffi as bffi

from agent.model import libyang_c

_ffi = cffi.FFI()
_ffi.cdef(
    """
    int lyd_insert_sibling(void *sibling, void *node, void **first);
    int lyd_insert_after(void *sibling, void *node);
    int lyd_insert_before(void *sibling, void *node);
    void lyd_unlink_tree(void *node);
    int lyd_change_term(void *term, const char *val_str);
    int lyd_find_sibling_first(const void *siblings, const void *target, void **match);
    int lyd_find_sibling_val(const void *first, const void *schema, const char *key_or_value, size_t val_len,
                             void **match);
    int lyd_new_implicit_tree(void *tree, uint32_t implicit_options, void **diff);
    void *ly_get_log_clb(void);
    int lyd_compare_single(const void *node1, const void *node2, uint32_t options);
    int lyd_validate_module(void **tree, const void *module, uint32_t val_opts, void **diff);
    int lys_find_expr_atoms(const void *ctx_node, const void *cur_mod, const void *expr,
                            const void *prefixes, uint32_t options, void **set);
    int lyd_eval_xpath3(const void *ctx_node, const void *cur_mod, const char *xpath, int format,
                        const void *prefix_data, const void *vars, unsigned char *result);
    int lyd_value_validate(const void *ctx, const void *schema, const char *value, size_t value_len,
                           const void *ctx_node, void *realtype, void *canonical);
    """
)
if libyang_c.MAJOR == 2:
    # ``output`` is a ly_bool in 2.x, ``options`` (LYD_NEW_VAL_OUTPUT = 1, ...) in 3.x; the path flag
    # of ly_set_log_clb was dropped in 3.x (paths are always recorded there).
    _ffi.cdef(
        """
        int lyd_new_list2(void *parent, const void *module, const char *name, const char *keys,
                          uint8_t output, void **node);
        void ly_set_log_clb(void *clb, uint8_t path);
        """
    )
else:
    _ffi.cdef(
        """
        int lyd_new_list2(void *parent, const void *module, const char *name, const char *keys,
                          uint32_t options, void **node);
        """
    )
_lib: Any = _ffi.dlopen(libyang_c.LIBRARY)

NULL = bffi.NULL


def p(node: Any) -> Any:
    """A binding ``struct lyd_node *`` as this module's ``void *``."""
    return _ffi.cast("void *", int(bffi.cast("uintptr_t", node)))


def back(ptr: Any) -> Any:
    """This module's ``void *`` as the binding's ``struct lyd_node *``."""
    return bffi.cast("struct lyd_node *", int(_ffi.cast("uintptr_t", ptr)))


def insert_sibling(first: Any, node: Any) -> Any:
    """Insert ``node`` among the top-level siblings from ``first`` (may be NULL); return the new first."""
    out = _ffi.new("void **")
    ret = _lib.lyd_insert_sibling(p(first) if first != NULL else _ffi.NULL, p(node), out)
    if ret != 0:
        raise RuntimeError(f"lyd_insert_sibling failed ({ret})")
    return back(out[0])


def insert_after(sibling: Any, node: Any) -> int:
    return int(_lib.lyd_insert_after(p(sibling), p(node)))


def insert_before(sibling: Any, node: Any) -> int:
    return int(_lib.lyd_insert_before(p(sibling), p(node)))


def unlink_tree(node: Any) -> None:
    _lib.lyd_unlink_tree(p(node))


def change_term(node: Any, value: str) -> int:
    """0 = changed, 0x80 (LY_EEXIST) = same value, 0x88 (LY_ENOT) = default flag cleared only, else error."""
    return int(_lib.lyd_change_term(p(node), value.encode()))


def find_sibling_first(siblings: Any, target: Any) -> Any:
    """The instance among ``siblings`` matching ``target`` (same schema node and keys / value), or NULL."""
    if siblings == NULL:
        return NULL
    out = _ffi.new("void **")
    ret = _lib.lyd_find_sibling_first(p(siblings), p(target), out)
    if ret != 0:
        return NULL
    return back(out[0])


def new_implicit_tree(node: Any, options: int) -> int:
    return int(_lib.lyd_new_implicit_tree(p(node), options, _ffi.NULL))


def find_sibling_val(first: Any, schema: Any, key_or_value: str | None) -> Any:
    """Instance of ``schema`` among siblings from ``first``: list keys as ``[k='v']...``, leaf-list value,
    or None for containers and leaves. Returns NULL when absent."""
    if first == NULL:
        return NULL
    out = _ffi.new("void **")
    sch = _ffi.cast("void *", int(bffi.cast("uintptr_t", schema)))
    if key_or_value is None:
        ret = _lib.lyd_find_sibling_val(p(first), sch, _ffi.NULL, 0, out)
    else:
        raw = key_or_value.encode()
        ret = _lib.lyd_find_sibling_val(p(first), sch, raw, len(raw), out)
    if ret != 0:
        return NULL
    return back(out[0])


def log_paths_on() -> None:
    """Keep whatever log callback is installed, but ask libyang 2 to build the data path of each error
    (libyang 3 always does)."""
    if libyang_c.MAJOR == 2:
        _lib.ly_set_log_clb(_lib.ly_get_log_clb(), 1)


def new_list2(parent: Any, module: Any, name: bytes, keys: bytes) -> tuple[int, Any]:
    """``lyd_new_list2`` (a list instance from its ``[k='v']`` predicate text, input data); returns the
    code and the new node (binding type, NULL on failure)."""
    out = _ffi.new("void **")
    ret = _lib.lyd_new_list2(p(parent) if parent != NULL else _ffi.NULL, p(module), name, keys, 0, out)
    return int(ret), back(out[0]) if out[0] != _ffi.NULL else NULL


def value_valid(ctx: Any, node: Any, value: bytes) -> bool:
    """``lyd_value_validate`` of ``value`` for term ``node``'s schema, with ``node`` as the context for
    leafref/instance-identifier checks."""
    ret = _lib.lyd_value_validate(p(ctx), p(node.schema), value, len(value), p(node), _ffi.NULL, _ffi.NULL)
    return int(ret) == 0


def validate_module(first: Any, module: Any, options: int) -> tuple[int, Any]:
    """``lyd_validate_module`` on the forest from ``first``; returns the code and the (new) first node."""
    box = _ffi.new("void **", p(first) if first != NULL else _ffi.NULL)
    ret = _lib.lyd_validate_module(box, p(module), options, _ffi.NULL)
    return int(ret), back(box[0]) if box[0] != _ffi.NULL else NULL


def find_expr_atoms(ctx_node: Any, expr: Any, prefixes: Any) -> Any | None:
    """The ``struct ly_set *`` (binding type; the caller frees it) of schema nodes a compiled
    expression can touch, or None when libyang fails."""
    out = _ffi.new("void **")
    ret = _lib.lys_find_expr_atoms(p(ctx_node), p(ctx_node.module), p(expr), p(prefixes), 0, out)
    if ret != 0:
        return None
    return bffi.cast("struct ly_set *", int(_ffi.cast("uintptr_t", out[0])))


def eval_xpath_bool(node: Any, module: Any, expr: bytes, value_format: int, prefixes: Any) -> bool | None:
    """``lyd_eval_xpath3`` of ``expr`` at ``node`` as a boolean; None when evaluation fails."""
    res = _ffi.new("unsigned char *")
    ret = _lib.lyd_eval_xpath3(p(node), p(module), expr, value_format, p(prefixes), _ffi.NULL, res)
    return None if ret != 0 else bool(res[0])
