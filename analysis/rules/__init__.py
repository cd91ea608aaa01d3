"""Rules: the documented registry and the checks that implement it."""
