"""Name -> constructor registries with errors that name what is allowed."""

from __future__ import annotations

import inspect


class Registry:
    """Constructors by name; :meth:`make` checks names and keyword arguments."""

    def __init__(self, what: str, constructors: dict):
        self.what = what
        self._ctors = dict(constructors)

    def names(self) -> list:
        """Sorted names."""
        return sorted(self._ctors)

    def __contains__(self, name) -> bool:
        return name in self._ctors

    def make(self, name, **kwargs):
        """Build ``name`` with ``kwargs``; unknown names or keywords raise ValueError."""
        if name not in self._ctors:
            raise ValueError(f"{self.what} must be one of {self.names()}, got {name!r}")
        ctor = self._ctors[name]
        params = inspect.signature(ctor).parameters
        allowed = [p for p, v in params.items() if v.kind is not inspect.Parameter.VAR_KEYWORD]
        for key in kwargs:
            if key not in allowed:
                raise ValueError(f"{name} has no parameter {key!r}; allowed: {allowed}")
        missing = [
            p for p, v in params.items()
            if v.default is inspect.Parameter.empty and p not in kwargs
            and v.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        ]  # fmt: skip
        if missing:
            raise ValueError(f"{name} needs parameter(s) {missing}")
        return ctor(**kwargs)
