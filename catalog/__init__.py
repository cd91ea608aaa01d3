"""nodeforge.catalog: the standard node manifests.

One folder per node type and version: ``<category>/<name>/<version>/node.json``.
Load them with :meth:`nodeforge.analysis.catalog.Catalog.load_standard`; the reference
page ``docs/catalog.md`` is generated from them (``python -m nodeforge.gendocs_catalog``).
"""
