"""A cheaper ``__init__`` for the frozen, slotted dataclasses built for every APK.

The ``__init__`` that :func:`dataclasses.dataclass` writes for a frozen class stores
each field with ``object.__setattr__``, a generic attribute look-up per field. Storing
through the slot's own descriptor does the same store in about half the instructions;
on a small APK, building the manifest, signer and certificate values that way was a few
per cent of reading it. Everything else the dataclass defines (the signature, defaults,
equality, hashing, ``repr``, :func:`dataclasses.fields`, :func:`dataclasses.replace`,
pickling, the refusal of later assignments) is left as it is.
"""

from __future__ import annotations

from dataclasses import MISSING, fields, is_dataclass
from types import FunctionType
from typing import TypeVar

_Class = TypeVar("_Class", bound=type)


def fast_init(cls: _Class) -> _Class:
    """Give the frozen, slotted dataclass ``cls`` an ``__init__`` that stores through its slots.

    Apply it above ``@dataclass(frozen=True, slots=True)``. Raises :class:`TypeError` for
    a class it does not fit: not a frozen slotted dataclass, or with a default factory, a
    keyword-only field, a field left out of ``__init__`` or a ``__post_init__``.
    """
    params = getattr(cls, "__dataclass_params__", None)
    if not is_dataclass(cls) or params is None or not params.frozen:
        raise TypeError(f"{cls.__name__} is not a frozen dataclass")
    if "__slots__" not in cls.__dict__ or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has no slots or has a __post_init__")
    namespace: dict[str, object] = {}
    arguments: list[str] = []
    lines: list[str] = []
    for field in fields(cls):
        if field.default_factory is not MISSING or not field.init or field.kw_only:
            raise TypeError(f"{cls.__name__}.{field.name} needs the generated __init__")
        namespace[f"_set_{field.name}"] = cls.__dict__[field.name].__set__
        if field.default is MISSING:
            arguments.append(field.name)
        else:
            namespace[f"_default_{field.name}"] = field.default
            arguments.append(f"{field.name}=_default_{field.name}")
        lines.append(f"    _set_{field.name}(self, {field.name})\n")
    lines = lines or ["    pass\n"]
    # The source holds field names only (identifiers, checked by dataclass), nothing read in.
    exec(f"def __init__(self, {', '.join(arguments)}):\n{''.join(lines)}", namespace)
    init = namespace["__init__"]
    generated = cls.__dict__["__init__"]
    if not isinstance(init, FunctionType):
        raise TypeError(f"{cls.__name__}: no __init__ could be written")
    init.__qualname__ = generated.__qualname__
    init.__annotations__ = dict(generated.__annotations__)
    init.__doc__ = generated.__doc__
    cls.__init__ = init  # type: ignore[method-assign]
    return cls
