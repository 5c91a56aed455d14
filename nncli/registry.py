"""Name → object tables, one per kind of component.

Every kind of thing a config can name (activation, initializer, loss, optimizer, metric,
layer, regularizer, data source) lives in one ``Registry``. Config validation, error
suggestions, ``summary`` and the parametrized tests all read the same table, so adding a
component is one entry in its module.
"""

from __future__ import annotations

import difflib
from typing import Any, Callable, Iterator

from nncli.errors import ConfigError, UnknownNameError


def closest(name: str, choices: list[str] | tuple[str, ...]) -> str | None:
    """The closest valid spelling of ``name`` among ``choices``, or None."""
    matches = difflib.get_close_matches(str(name).lower(), [c.lower() for c in choices], n=1, cutoff=0.6)
    if not matches:
        return None
    lowered = {c.lower(): c for c in choices}
    return lowered[matches[0]]


class Registry:
    """A table from canonical names (and aliases) to components of one kind.

    Parameters
    ----------
    kind : str
        What the entries are, for messages ("activation", "loss", ...).
    name_attribute : str
        The attribute through which an entry knows its own registry name (``name``; layers
        use ``type_name``, as their ``name`` is the instance's). ``register`` sets it, so the
        name is written once, in the ``register`` call.
    """

    def __init__(self, kind: str, name_attribute: str = "name") -> None:
        self.kind = kind
        self.name_attribute = name_attribute
        self._entries: dict[str, Any] = {}
        self._aliases: dict[str, str] = {}

    def register(self, name: str, *aliases: str) -> Callable[[Any], Any]:
        """Decorator: add the decorated object under ``name`` (and ``aliases``)."""

        def add(obj: Any) -> Any:
            self.add(name, obj, *aliases)
            return obj

        return add

    def add(self, name: str, obj: Any, *aliases: str) -> None:
        """Add ``obj`` under ``name`` (and ``aliases``) and set its name attribute to ``name``."""
        for key in (name, *aliases):
            if key in self._entries or key in self._aliases:
                raise ValueError(f"{self.kind} {key!r} is registered twice")
        setattr(obj, self.name_attribute, name)
        self._entries[name] = obj
        for alias in aliases:
            self._aliases[alias] = name

    def remove(self, name: str) -> None:
        """Take an entry and its aliases out again (for tests that register a throwaway entry)."""
        canonical = self.canonical(name)
        del self._entries[canonical]
        for alias in [a for a, target in self._aliases.items() if target == canonical]:
            del self._aliases[alias]

    def names(self) -> list[str]:
        """Canonical names, in registration order."""
        return list(self._entries)

    def aliases(self) -> dict[str, str]:
        """Each alias and the canonical name it stands for (``{"acc": "accuracy", ...}``)."""
        return dict(self._aliases)

    def canonical(self, name: str) -> str:
        """The canonical name for ``name`` or an alias of it; raise ``UnknownNameError``."""
        if not isinstance(name, str):
            raise UnknownNameError(
                f"could not interpret {self.kind} identifier: {name!r} (expected a name such as {self.names()[0]!r})"
            )
        key = name.strip()
        for candidate in (key, key.lower()):
            if candidate in self._entries:
                return candidate
            if candidate in self._aliases:
                return self._aliases[candidate]
        raise UnknownNameError(self.unknown_message(name))

    def unknown_message(self, name: str) -> str:
        suggestion = closest(name, self.names() + list(self._aliases))
        if suggestion in self._aliases:
            suggestion = self._aliases[suggestion]
        hint = f"; did you mean {suggestion!r}?" if suggestion else ""
        return f"unknown {self.kind} {name!r}{hint} (choose from: {', '.join(self.names())})"

    def build(self, identifier: Any, base: type) -> Any:
        """An instance from an object of ``base`` (returned as is), a name, or a mapping
        ``{"name": ..., **arguments}`` (Keras's ``get(identifier)``)."""
        if isinstance(identifier, base):
            return identifier
        arguments: dict[str, Any] = {}
        name = identifier
        if isinstance(identifier, dict):
            arguments = dict(identifier)
            name = arguments.pop("name", None)
            if name is None:
                raise ConfigError(f"a {self.kind} given as a mapping needs a 'name'. Received: {identifier!r}")
        if not isinstance(name, str):
            raise ConfigError(
                f"Could not interpret {self.kind} identifier: {identifier!r}. Expected a name, a mapping with 'name' "
                f"or a {base.__name__} object. Received: {type(identifier).__name__} (valid names: "
                f"{', '.join(self.names())})"
            )
        try:
            return self[name](**arguments)
        except TypeError as error:
            raise ConfigError(f"bad arguments for {self.kind} {name!r}: {error}") from None

    def __getitem__(self, name: str) -> Any:
        return self._entries[self.canonical(name)]

    def __contains__(self, name: object) -> bool:
        try:
            self.canonical(name)  # type: ignore[arg-type]
        except UnknownNameError:
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def items(self):
        return self._entries.items()
