"""The worker pool: builds and node tests sent from the editor's server to
``nodeforge worker`` processes through NATS JetStream (``docs/scale-out.md``)."""
