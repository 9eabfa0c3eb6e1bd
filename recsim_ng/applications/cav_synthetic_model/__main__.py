"""Prints the soft-attribute demo's headline statistics: `python -m ...cav_synthetic_model`."""

import json

from recsim_ng.applications.cav_synthetic_model.simulation import demo

print(json.dumps(demo(), indent=1))
