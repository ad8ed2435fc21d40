"""Timeline controls (Qt) for a recording: play/pause, step, scrub, loop in/out points and looping."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from bridge.preview.player import Timeline


class TimelineBar(QtWidgets.QWidget):
    """Drives a Timeline; emits ``moved`` whenever the shown frame should change."""

    moved = QtCore.Signal()

    def __init__(self, timeline: Timeline) -> None:
        super().__init__()
        self.timeline = timeline
        lay = QtWidgets.QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.play_button = QtWidgets.QPushButton("Play")
        self.play_button.setShortcut("Space")
        self.play_button.clicked.connect(self.toggle_play)
        self.back_button = QtWidgets.QPushButton("<")
        self.back_button.setToolTip("step back one frame (Left)")
        self.back_button.setShortcut("Left")
        self.back_button.clicked.connect(lambda: self.step(-1))
        self.fwd_button = QtWidgets.QPushButton(">")
        self.fwd_button.setToolTip("step forward one frame (Right)")
        self.fwd_button.setShortcut("Right")
        self.fwd_button.clicked.connect(lambda: self.step(1))
        for b in (self.back_button, self.fwd_button):
            b.setFixedWidth(32)
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setRange(0, timeline.count - 1)
        self.slider.valueChanged.connect(self._on_scrub)
        self.in_button = QtWidgets.QPushButton("Loop in")
        self.in_button.setToolTip("start the loop range at this frame")
        self.in_button.clicked.connect(self.mark_in)
        self.out_button = QtWidgets.QPushButton("Loop out")
        self.out_button.setToolTip("end the loop range at this frame")
        self.out_button.clicked.connect(self.mark_out)
        self.loop_check = QtWidgets.QCheckBox("loop")
        self.loop_check.toggled.connect(self._on_loop)
        self.time_label = QtWidgets.QLabel()
        self.time_label.setMinimumWidth(170)
        for button in (self.play_button, self.back_button, self.fwd_button):
            lay.addWidget(button)
        lay.addWidget(self.slider, 1)
        for widget in (self.time_label, self.in_button, self.out_button, self.loop_check):
            lay.addWidget(widget)
        self._in, self._out = 0, timeline.count - 1
        self._syncing = False
        self.sync()

    def toggle_play(self) -> None:
        t = self.timeline
        if not t.playing and t.loop is None and t.position >= t.count - 1:
            t.seek(0)  # play again from the start
        t.playing = not t.playing
        self.sync()

    def step(self, n: int) -> None:
        self.timeline.playing = False
        self.timeline.step(n)
        self.sync()
        self.moved.emit()

    def _on_scrub(self, value: int) -> None:
        if self._syncing:
            return
        self.timeline.seek(value)
        self.sync()
        self.moved.emit()

    def mark_in(self) -> None:
        self._in = self.timeline.position
        self._out = max(self._out, self._in)
        self._apply_loop()

    def mark_out(self) -> None:
        self._out = self.timeline.position
        self._in = min(self._in, self._out)
        self._apply_loop()

    def set_loop_range(self, start: int, end: int, enabled: bool = True) -> None:
        self._in, self._out = start, end
        self.loop_check.setChecked(enabled)
        self._apply_loop()

    def _on_loop(self, _checked: bool) -> None:
        self._apply_loop()

    def _apply_loop(self) -> None:
        if self.loop_check.isChecked():
            self.timeline.set_loop(self._in, self._out)
        else:
            self.timeline.set_loop(None, None)
        self.sync()
        self.moved.emit()

    def sync(self) -> None:
        """Show the timeline's state (position, play state, loop range)."""
        t = self.timeline
        self._syncing = True
        self.slider.setValue(t.position)
        self._syncing = False
        self.play_button.setText("Pause" if t.playing else "Play")
        loop = f"  loop {t.time_of(t.loop.start):.2f}-{t.time_of(t.loop.end):.2f} s" if t.loop else \
            f"  in/out {t.time_of(self._in):.2f}-{t.time_of(self._out):.2f}"
        self.time_label.setText(f"{t.time_of(t.position):6.2f} / {t.duration:.2f} s  #{t.position}{loop}")
