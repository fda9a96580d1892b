#!/bin/sh
# Make Debian's tshark ready for the pcap tests (tests/test_sim_pcap.py,
# tests/test_capture.py, tests/test_doc_outputs.py), which read memosim's pcap
# files back with it. `make test` runs this before pytest.
#
# tshark there: nothing to do. Missing, running as root with apt-get (CI):
# installs it (apt-get update first only when the install fails). Otherwise:
# one line saying the pcap test needs it. Never fails: the test reports a
# missing tshark itself, so the rest of the suite still runs.
set -u
command -v tshark >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing tshark for the pcap test (apt-get; once)"
    export DEBIAN_FRONTEND=noninteractive
    get_tshark() { timeout 600 apt-get install -y -q --no-install-recommends tshark >/dev/null 2>&1; }
    get_tshark || { timeout 600 apt-get update -q >/dev/null 2>&1; get_tshark; }
fi
command -v tshark >/dev/null 2>&1 ||
    echo "tshark is missing: tests/test_sim_pcap.py needs it (as root: apt-get install tshark)" >&2
exit 0
