"""The Debug Adapter Protocol server (``nodeforge dap``): flows debugged in the simulator.

Layers, each thin over the next: ``protocol`` (framing, numbered messages), ``adapter``
(the stdio loop and the request table), ``session`` (the debugging state machine over
:class:`nodeforge.sandbox.simulate.Simulation`), ``breakpoints`` and ``locations`` (node
lines, conditions, hit counts), ``launch`` (the launch configuration), ``values``
(variables and their references). See docs/debugging.md.
"""
