"""nodeforge.sandbox: development mode (docs/sandbox.md).

- :mod:`.runner`: run a program confined (bubblewrap + seccomp + rlimits + a fresh uid
  per run, wall clock, output cap); refuses when the sandbox cannot be set up.
- :mod:`.limits`, :mod:`.seccomp_filter`, :mod:`.uids`: its parts.
- :mod:`.harness`: harness programs for node tests, built outside the sandbox and cached
  by node type, version and code hash; :mod:`.stdnode`: the one-node (or segment) flow
  that tests a standard or forked node through the code generator.
- :mod:`.nodetest`: ``nodeforge test-node`` and ``nodeforge.testNode``.
- :mod:`.simulate`, :mod:`.simulations`: the flow simulator and the Python simulations
  of the standard nodes.
"""
