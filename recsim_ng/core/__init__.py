"""The framework-agnostic DBN: values, specs, variables and networks. No TensorFlow here."""

from recsim_ng.core.network import Network, NetworkValue, find_field, find_unique_field
from recsim_ng.core.spec import FieldSpec, ValueSpec
from recsim_ng.core.value import Value
from recsim_ng.core.variable import UNDEFINED, Dependency, ValueDef, Variable, value

__all__ = ["Dependency", "FieldSpec", "Network", "NetworkValue", "UNDEFINED", "Value", "ValueDef",
           "ValueSpec", "Variable", "find_field", "find_unique_field", "value"]
