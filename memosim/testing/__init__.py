"""Test helpers for projects built on memosim, and the pytest plugin that serves them.

- :mod:`~memosim.testing.plugin`: the ``pytest11`` entry point (options,
  scenario collection, fixtures); it imports nothing heavy until used;
- :mod:`~memosim.testing.goldens`: scenario files pinned by golden files,
  per seed and Doer (what memosim's own regression suite uses too);
- :mod:`~memosim.testing.scenario_items`: scenario files collected as tests;
- :mod:`~memosim.testing.simnet`: a simulated network with peers and a Doist
  in a few lines, run until a condition, assertions that show the trace.

docs/regression.md is the user's guide. This package imports nothing itself,
so that loading the plugin costs nothing in a test run that does not use it.
"""
