"""The acceptance harness engine: plain Python (no pytest imports), usable from a REPL, the tcb CLI and steps/."""
