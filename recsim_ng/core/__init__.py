"""The framework-agnostic DBN: values, specs, variables and networks. No TensorFlow here.

As in RecSim NG, `recsim_ng.core.value` is the module holding `Value`, `ValueSpec` and
`FieldSpec`, and the function that defines a variable's value is `recsim_ng.core.variable.value`,
so `from recsim_ng.core import value` followed by `value.Value(...)` works as it did there.
"""

from recsim_ng.core import network, value, variable
from recsim_ng.core.network import Network, NetworkValue, find_field, find_unique_field
from recsim_ng.core.value import FieldSpec, Value, ValueSpec
from recsim_ng.core.variable import UNDEFINED, Dependency, ValueDef, Variable

__all__ = ["Dependency", "FieldSpec", "Network", "NetworkValue", "UNDEFINED", "Value", "ValueDef",
           "ValueSpec", "Variable", "find_field", "find_unique_field", "network", "value",
           "variable"]
