"""A mypy plugin: ``state.get("key")`` on a TypedDict with a key it does not declare is an
error, as ``state["key"]`` already is.

mypy's own rule lets ``.get`` take any string (it answers ``object``), so a misspelt state
key in a node (``state.get("imagez", [])``) would type-check. The nodes read the blackboard
(``agents.state.VLState``) mostly through ``.get``; this closes that gap. Loaded by
``[tool.mypy] plugins`` in pyproject.toml.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.errorcodes import TYPEDDICT_ITEM
from mypy.plugin import MethodContext, Plugin
from mypy.plugins.default import typed_dict_get_callback
from mypy.typeops import try_getting_str_literals
from mypy.types import Type, TypedDictType, get_proper_type


def _checked_get(ctx: MethodContext) -> Type:
    owner = get_proper_type(ctx.type)
    if isinstance(owner, TypedDictType) and ctx.args and len(ctx.args[0]) == 1:
        keys = try_getting_str_literals(ctx.args[0][0], ctx.arg_types[0][0]) or []
        for key in keys:
            if key not in owner.items:
                name = owner.fallback.type.name
                ctx.api.fail(f'TypedDict "{name}" has no key "{key}"', ctx.context,
                             code=TYPEDDICT_ITEM)
    return typed_dict_get_callback(ctx)  # mypy's own inference of the value's type


class TypedDictKeysPlugin(Plugin):
    """Reports unknown literal keys in ``TypedDict.get``."""

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        return _checked_get if fullname == "typing.Mapping.get" else None


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point."""
    return TypedDictKeysPlugin
