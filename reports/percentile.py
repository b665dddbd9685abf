"""A continuous percentile as a database aggregate on both databases.

PostgreSQL has `percentile_cont(f) WITHIN GROUP (ORDER BY x)`. SQLite has no
percentile function in its usual builds, so the same aggregate is registered
on each SQLite connection (a Python aggregate inside SQLite, still one query
with GROUP BY); both interpolate linearly between the closest ranks."""

from __future__ import annotations

import math
from typing import Any

from django.db.models import Aggregate, FloatField, Value

SQLITE_FUNCTION = "chatservice_percentile_cont"


class PercentileCont(Aggregate):
    """`PercentileCont("wait_seconds", 0.9)`: the 90th percentile (None if no rows)."""

    name = "PercentileCont"
    output_field = FloatField()
    allow_distinct = False

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        self.fraction = float(fraction)
        super().__init__(expression, **extra)

    def as_postgresql(self, compiler, connection, **extra_context):
        clone = self.copy()
        clone.function = "percentile_cont"
        # The fraction is this code's own float, never user input.
        clone.template = f"%(function)s({self.fraction!r}) WITHIN GROUP (ORDER BY %(expressions)s)"
        return super(PercentileCont, clone).as_sql(compiler, connection, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        clone = self.copy()
        clone.function = SQLITE_FUNCTION
        # The fraction goes in as a second argument (not through
        # set_source_expressions, which also carries the FILTER clause).
        clone.source_expressions = [*clone.source_expressions, Value(self.fraction)]
        return super(PercentileCont, clone).as_sql(compiler, connection, **extra_context)

    def as_sql(self, compiler, connection, *args, **extra_context):
        if connection.vendor not in ("postgresql", "sqlite"):
            raise NotImplementedError("PercentileCont needs PostgreSQL or SQLite")
        return super().as_sql(compiler, connection, *args, **extra_context)


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """The same interpolation in Python (the SQLite aggregate and the tests' check)."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class _SqlitePercentile:
    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value: float | None, fraction: float) -> None:
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return percentile_cont(self.values, self.fraction)


def register_sqlite_percentile(sender, connection, **kwargs) -> None:
    """connection_created receiver: give each SQLite connection the aggregate."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate(SQLITE_FUNCTION, 2, _SqlitePercentile)
