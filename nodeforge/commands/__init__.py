"""Sub-commands of the nodeforge CLI."""
