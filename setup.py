"""Map each top-level layer folder to one ``nodeforge.<layer>`` import namespace.

pyproject.toml holds all metadata; this file only computes the package list,
because setuptools' automatic discovery does not follow ``package-dir`` renames.
"""

from setuptools import find_packages, setup

LAYERS = ["analysis", "server", "codegen", "sandbox", "catalog"]

packages = ["nodeforge", *(f"nodeforge.{p}" for p in find_packages("nodeforge"))]
package_dir = {"nodeforge": "nodeforge"}
for layer in LAYERS:
    packages.append(f"nodeforge.{layer}")
    package_dir[f"nodeforge.{layer}"] = layer
    packages += [f"nodeforge.{layer}.{p}" for p in find_packages(layer)]

setup(packages=packages, package_dir=package_dir)
