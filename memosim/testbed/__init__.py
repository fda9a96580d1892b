"""The testbed: scenario files, runner, metrics, plots, sweeps and the notebook API."""

from .scenario import (
    LinkSpec,
    PartitionSpec,
    PeerDefaults,
    PeerSpec,
    Scenario,
    SizeSpec,
    WorkloadSpec,
    load_scenario,
    parse_override,
    parse_scenario,
)

__all__ = [
    "LinkSpec",
    "PartitionSpec",
    "PeerDefaults",
    "PeerSpec",
    "Scenario",
    "SizeSpec",
    "WorkloadSpec",
    "load_scenario",
    "parse_override",
    "parse_scenario",
]

# The notebook/script API (memosim.testbed.api); sweep machinery lives in
# memosim.testbed.sweeps.
from .api import load, run, sweep, sweep_result, table, write  # noqa: E402

__all__ += ["load", "run", "sweep", "sweep_result", "table", "write"]
