"""Compatibility layers: other libraries' import paths served by memosim.

`memosim.compat.hio` lets code written for hio 0.7.20's memogram transport
import memosim under hio's module paths (docs/memoer.md, "Running hio code
on memosim").
"""
