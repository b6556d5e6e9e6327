"""The acceptance harness engine: plain Python (no pytest imports), for a REPL, the tcb CLI and steps/."""
