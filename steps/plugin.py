"""Acceptance plugin: options, session fixtures, evidence and diagnostics (wiring only; logic in harness/)."""
