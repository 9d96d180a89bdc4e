"""Planner-facing commands: parse arguments, call analysis, write outputs."""
