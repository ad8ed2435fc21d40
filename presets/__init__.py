"""Shipped retarget presets (*.toml), installed as package data. See docs/presets.md."""
