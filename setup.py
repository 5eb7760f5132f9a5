"""Build hook for the one optional C module; everything else is in pyproject.toml.

``unstalk.netcap._fastwalk`` walks capture records for packets that only add to
flow counters (see its source). It is optional: where no C compiler is at hand the
package installs without it and the same walk runs in Python, more slowly.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "unstalk.netcap._fastwalk",
            ["src/unstalk/netcap/_fastwalk.c"],
            optional=True,
        )
    ]
)
