"""The assistant: features built on the model providers of :mod:`nodeforge.llm`.

- :mod:`.catalog_context`: the compact view of the catalog and the workspace a model sees;
- :mod:`.prompts`: the messages and answer schemas of each feature;
- :mod:`.repair`: the bounded ask / check / repair loop every feature shares;
- :mod:`.flows`: flows from a description, and edits of an existing flow;
- :mod:`.adapters`: ``data/map`` adapters for incompatible connections (``NF009``);
- :mod:`.customize`: model edits of a ``code/go`` node, gated by the sandbox.

Model output is untrusted input: a proposed flow is offered only when the analysis
finds no error in it, proposed Go only when it builds and its tests pass in the
sandbox. This package sits above ``nodeforge.llm`` (which knows nothing of the
analysis) and below ``server/`` and the command line. Details: ``docs/llm.md``.
"""
