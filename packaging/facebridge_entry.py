"""PyInstaller entry point for the one-file `facebridge` download."""

from bridge.cli import main

raise SystemExit(main())
