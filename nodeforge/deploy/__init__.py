"""Deployment artefacts of a generated app (``nodeforge deploy``): docs/scale-out.md."""
