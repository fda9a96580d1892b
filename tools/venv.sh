#!/bin/sh
# Make .venv ready for `make`: memosim installed (editable) with its test tools.
#
#   tools/venv.sh PYTHON VENV [explicit]
#
# 1. Checks PYTHON first and stops with one line when it is not Python >= 3.11
#    (rather than failing minutes later inside pip).
# 2. Rebuilds VENV when it holds an interpreter older than 3.11, or, with
#    "explicit" (PYTHON given on the make command line or in the environment),
#    another interpreter than PYTHON.
# 3. Installs when VENV/.installed is missing or older than pyproject.toml,
#    saying so first (pip stays quiet for minutes on a fresh machine).
#
# INSTALL (a command) replaces the pip install and VENVFLAGS are passed to
# `python -m venv`; the tests use them to check steps 1 and 2 in a few seconds.
set -eu
PYTHON=$1
VENV=$2
EXPLICIT=${3:-}
NEED="3.11"
HOW="choose another interpreter, e.g. make demo PYTHON=python3.12"

version() {  # "3.11.7" of interpreter $1, empty when it cannot run
    "$1" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null || true
}
recent() {  # true when version $1 >= NEED
    [ -n "$1" ] && [ "$(printf '%s\n%s\n' "$NEED" "$1" | sort -t. -k1,1n -k2,2n | head -n1)" = "$NEED" ]
}
ident() {  # the installation behind interpreter $1 (a venv's is its base's)
    "$1" -c 'import sys; print(sys.base_prefix, sys.version_info[:3])' 2>/dev/null || true
}

have=$(version "$PYTHON")
if [ -z "$have" ]; then
    echo "memosim needs Python >= $NEED, and PYTHON=$PYTHON does not run; $HOW" >&2
    exit 2
fi
if ! recent "$have"; then
    echo "memosim needs Python >= $NEED, and PYTHON=$PYTHON is Python $have; $HOW" >&2
    exit 2
fi

if [ -x "$VENV/bin/python" ]; then
    inside=$(version "$VENV/bin/python")
    if ! recent "$inside"; then
        echo "rebuilding $VENV: it holds Python ${inside:-that does not run}, memosim needs >= $NEED"
        rm -rf "$VENV"
    elif [ -n "$EXPLICIT" ] && [ "$(ident "$PYTHON")" != "$(ident "$VENV/bin/python")" ]; then
        echo "rebuilding $VENV: it holds Python $inside, and PYTHON=$PYTHON is Python $have"
        rm -rf "$VENV"
    fi
fi
if [ ! -x "$VENV/bin/python" ]; then
    echo "creating $VENV with $PYTHON (Python $have)"
    # shellcheck disable=SC2086
    "$PYTHON" -m venv ${VENVFLAGS:-} "$VENV"
fi
if [ ! -f "$VENV/.installed" ] || [ pyproject.toml -nt "$VENV/.installed" ]; then
    echo "installing memosim and its test tools into $VENV (pip; a few minutes on a fresh machine)"
    if [ -n "${INSTALL:-}" ]; then
        sh -c "$INSTALL"
    else
        "$VENV/bin/python" -m pip install -q -e '.[test,dask]'
    fi
    touch "$VENV/.installed"
fi
