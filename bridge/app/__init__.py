"""The live application: pipeline orchestration, control input, status line and the run/config/bench commands."""
