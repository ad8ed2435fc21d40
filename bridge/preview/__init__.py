"""Qt preview for preset designers: live curves of retargeted values, gain/offset sliders, save, hot reload.

``feed`` and ``editor`` are Qt-free (tested headless); ``window`` holds the PySide6/pyqtgraph UI; ``cmd`` is the
``facebridge preview`` command.
"""
