"""Stand-in for get-pip.py, the script ansible-test's pip bootstrap downloads from a host outside
the package registries (which this machine cannot reach): installs pip into an empty virtual
environment from the pip wheel next to this file (tests/ansible_sanity/prime.py fetched it from
PyPI with pip at setup time). Called as get-pip.py is: pip install's options and packages, plus
get-pip's own --no-setuptools / --no-wheel, which only say not to add those (nor does this)."""

import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    wheels = sorted(glob.glob(os.path.join(HERE, "pip-*-py3-none-any.whl")))
    if not wheels:
        sys.exit("no pip wheel in %s: run scripts/setup.sh (tests/ansible_sanity/prime.py)" % HERE)
    sys.path.insert(0, wheels[-1])
    from pip._internal.cli.main import main as pip_main

    args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
    sys.exit(pip_main(["install", "--find-links", HERE, *args]))


if __name__ == "__main__":
    main()
