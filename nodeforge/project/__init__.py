"""Projects: workspace metadata, the internal flow history, encrypted connectors,
node upgrades and forks.

Everything here works on a workspace folder (the one holding ``nodeforge.toml``)
and keeps its private state under ``<workspace>/.nodeforge/``. The user's own git
repository, if the workspace is one, is never read or written. The CLI
(``nodeforge init|save|history|diff|restore|connector|upgrade|fork|project``) and
the language server commands (:mod:`nodeforge.project.commands`) are thin layers
over these modules.
"""

from __future__ import annotations

from nodeforge.project.fsutil import ProjectError

__all__ = ["ProjectError"]
