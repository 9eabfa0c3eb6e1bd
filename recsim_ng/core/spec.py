"""`FieldSpec` and `ValueSpec`: what a variable's fields must look like."""

from __future__ import annotations

from typing import Any

from recsim_ng.core.value import Value

ValueSpec = Value  # A `Value` whose leaves are `FieldSpec`s.


class FieldSpec:
    """Accepts any value; framework-specific subclasses check types and shapes.

    `check_value` may learn from the values it sees (the TensorFlow spec learns static shapes);
    `invariant` reports what it learned so a runtime can declare loop shapes.
    """

    def check_value(self, field_value: Any) -> tuple[bool, str]:
        """Whether `field_value` fits this spec, and if not, why."""
        del field_value
        return True, ""

    def sanitize(self, field_value: Any, field_name: str) -> Any:
        """The value as the runtime should carry it (e.g. a named tensor of static shape)."""
        del field_name
        return field_value

    def invariant(self) -> Any:
        """A framework-specific hint about the field's shape, or `None`."""
        return None
