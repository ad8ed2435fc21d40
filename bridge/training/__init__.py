"""Training (torch only here; the runtime never imports this package)."""
