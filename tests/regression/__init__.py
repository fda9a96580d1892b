"""Regression suite data and tooling: golden sim summaries of every shipped scenario.

- ``golden.py``: what is pinned (metrics, seeds), how a fresh run is reduced to
  it, how two are compared (one message line per moved metric group);
- ``regenerate.py``: rewrites ``golden/<scenario>.json`` on purpose;
- ``golden/``: the pinned data, one stable, sorted JSON file per scenario.

See docs/regression.md.
"""
