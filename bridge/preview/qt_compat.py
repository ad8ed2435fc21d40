"""Workaround for a PySide6 6.12 binding bug: ``Signal.emit()`` returns ``True`` without taking a reference.

Every emit from Python (pyqtgraph emits on each ``setData``) therefore drops one reference to ``True``. On
Python >= 3.12 ``True`` is immortal and nothing happens; on 3.11 its count runs down until the interpreter
aborts with "Fatal Python error: bool_dealloc" (within seconds in a live preview, or at exit). Reproduction:

    class O(QtCore.QObject): s = QtCore.Signal()
    o = O(); [o.s.emit() for _ in range(100)]   # sys.getrefcount(True) is now 100 lower

The guard remembers ``True``'s reference count and gives back exactly the references that went missing.
It only ever adds references to an object that is never freed anyway, so it cannot do harm when nothing leaked.
"""

from __future__ import annotations

import ctypes
import sys

NEEDED = sys.version_info < (3, 12)  # immortal bools from 3.12 on


class BoolRefGuard:
    """Call ``restore()`` regularly (e.g. once per frame) to undo leaked references to True."""

    def __init__(self) -> None:
        self.baseline = sys.getrefcount(True)
        self.restored = 0  # references given back so far (for the status line and tests)

    def restore(self) -> int:
        """Give back any references to True missing since construction; returns how many."""
        if not NEEDED:
            return 0
        deficit = self.baseline - sys.getrefcount(True)
        if deficit <= 0:
            return 0
        incref = ctypes.pythonapi.Py_IncRef
        incref.argtypes = [ctypes.py_object]
        for _ in range(deficit):
            incref(True)
        self.restored += deficit
        return deficit
