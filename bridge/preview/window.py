"""The preview window (PySide6 + pyqtgraph): live curves and bars of the retargeted values, per-target gain/offset
sliders, save (new file, or over the file keeping a .bak) and hot reload of the preset file."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from bridge.preview.editor import GAIN_RANGE, PresetEditor
from bridge.preview.feed import SyntheticFaceFeed
from bridge.preview.qt_compat import BoolRefGuard

HISTORY_SECONDS = 10.0
DEFAULT_PLOTTED = 6
SLIDER_STEPS = 200  # slider resolution: gain 0..3 in steps of 0.015, offset in 1 % of the target's span
THUMB_VIEWS = ("left_eye", "right_eye", "mouth", "lower_face")


def gray_pixmap(image: np.ndarray, height: int = 96) -> QtGui.QPixmap:
    """A QPixmap of a 2-D uint8 image scaled to ``height`` pixels."""
    img = np.ascontiguousarray(image)
    q = QtGui.QImage(img.data, img.shape[1], img.shape[0], img.strides[0], QtGui.QImage.Format.Format_Grayscale8)
    return QtGui.QPixmap.fromImage(q.copy()).scaledToHeight(height, QtCore.Qt.TransformationMode.SmoothTransformation)


class PreviewWindow(QtWidgets.QMainWindow):
    """Designer preview. ``step()`` advances one frame (driven by a QTimer when ``start()`` is called)."""

    def __init__(self, editor: PresetEditor, feed: SyntheticFaceFeed, fps: float = 30.0) -> None:
        super().__init__()
        self.editor, self.feed, self.fps = editor, feed, fps
        self.frames_shown = 0
        self.last_frame: Any = None  # the newest RetargetFrame
        self.bool_guard = BoolRefGuard()  # PySide6 6.12 leaks references to True on every emit (see qt_compat)
        self._build_ui()
        self._load_targets()
        self._frame_timer = QtCore.QTimer(self)
        self._frame_timer.timeout.connect(self.step)
        self._file_timer = QtCore.QTimer(self)
        self._file_timer.timeout.connect(self.poll_file)

    # -- layout ------------------------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.setWindowTitle("FaceBridge preset preview")
        self.resize(1280, 800)
        pg.setConfigOptions(antialias=True, background="w", foreground="k")
        left = QtWidgets.QWidget()
        lv = QtWidgets.QVBoxLayout(left)
        header = QtWidgets.QHBoxLayout()
        self.title = QtWidgets.QLabel()
        self.title.setStyleSheet("font-weight: bold; font-size: 14px")
        self.emotion_label = QtWidgets.QLabel("emotion: -")
        self.light_swatch = QtWidgets.QLabel("light")
        self.light_swatch.setFixedSize(110, 24)
        self.light_swatch.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        header.addWidget(self.title, 1)
        header.addWidget(self.emotion_label)
        header.addWidget(self.light_swatch)
        lv.addLayout(header)
        self.curves_plot = pg.PlotWidget(title="retargeted values (last 10 s)")
        self.curves_plot.addLegend(offset=(5, 5))
        self.curves_plot.setLabel("bottom", "seconds")
        lv.addWidget(self.curves_plot, 3)
        self.bars_plot = pg.PlotWidget(title="all driven targets, now")
        self.bars_plot.setMouseEnabled(x=False, y=False)
        lv.addWidget(self.bars_plot, 2)
        thumbs = QtWidgets.QHBoxLayout()
        self.thumbs: dict[str, QtWidgets.QLabel] = {}
        for view in THUMB_VIEWS:
            label = QtWidgets.QLabel(view)
            label.setFixedHeight(100)
            label.setToolTip(f"synthetic {view} camera")
            thumbs.addWidget(label)
            self.thumbs[view] = label
        thumbs.addStretch(1)
        lv.addLayout(thumbs)

        right = QtWidgets.QWidget()
        rv = QtWidgets.QVBoxLayout(right)
        rv.addWidget(QtWidgets.QLabel("Targets (tick to plot, select to edit):"))
        self.target_list = QtWidgets.QListWidget()
        self.target_list.itemChanged.connect(self._on_item_checked)
        self.target_list.currentItemChanged.connect(self._on_target_selected)
        rv.addWidget(self.target_list, 1)
        box = QtWidgets.QGroupBox("Curve")
        form = QtWidgets.QFormLayout(box)
        self.gain_slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.gain_slider.setRange(0, SLIDER_STEPS)
        self.offset_slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.offset_slider.setRange(-SLIDER_STEPS // 2, SLIDER_STEPS // 2)
        self.gain_value = QtWidgets.QLabel()
        self.offset_value = QtWidgets.QLabel()
        form.addRow("gain", self.gain_slider)
        form.addRow("", self.gain_value)
        form.addRow("offset", self.offset_slider)
        form.addRow("", self.offset_value)
        self.gain_slider.valueChanged.connect(self._on_slider)
        self.offset_slider.valueChanged.connect(self._on_slider)
        self.box = box
        rv.addWidget(box)
        buttons = QtWidgets.QHBoxLayout()
        self.reset_button = QtWidgets.QPushButton("Reset edits")
        self.reset_button.clicked.connect(self.reset_edits)
        self.save_new_button = QtWidgets.QPushButton("Save as new file")
        self.save_new_button.clicked.connect(self.save_as_new)
        self.save_over_button = QtWidgets.QPushButton("Save over (keeps .bak)")
        self.save_over_button.clicked.connect(self.save_over)
        for b in (self.reset_button, self.save_new_button, self.save_over_button):
            buttons.addWidget(b)
        rv.addLayout(buttons)

        splitter = QtWidgets.QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([900, 380])
        self.setCentralWidget(splitter)
        self.statusBar().showMessage("ready")

    def _load_targets(self) -> None:
        """(Re)build everything that depends on the preset's target list."""
        p = self.editor.preset
        self.names = self.editor.retargeter.names
        self.title.setText(f"{p.name}  ->  {p.rig}   ({len(self.names)} targets, file {self.editor.path.name})")
        editable = set(self.editor.editable_targets())
        self._syncing = True
        self.target_list.clear()
        for i, name in enumerate(self.names):
            item = QtWidgets.QListWidgetItem(name if name in editable else f"{name}  (emotion pose only)")
            item.setData(QtCore.Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(QtCore.Qt.CheckState.Checked if i < DEFAULT_PLOTTED else QtCore.Qt.CheckState.Unchecked)
            self.target_list.addItem(item)
        self._syncing = False
        self.history = np.zeros((max(int(HISTORY_SECONDS * self.fps), 2), len(self.names)), dtype=np.float32)
        self.times = np.full(self.history.shape[0], np.nan)
        self.filled = 0
        lo = min((self.editor.base.rig_profile.range_of(n)[0] for n in self.names), default=0.0)
        self.curves_plot.setYRange(lo, 1.0)
        self.bars_plot.setYRange(lo, 1.0)
        self.bars_plot.clear()
        self.bars = pg.BarGraphItem(x=np.arange(len(self.names)), height=np.zeros(len(self.names)), width=0.8,
                                    brush=(60, 120, 200))
        self.bars_plot.addItem(self.bars)
        step = max(1, -(-len(self.names) // 8))  # at most ~8 tick labels: long rig names must not overlap
        ticks = [(i, self.names[i]) for i in range(0, len(self.names), step)]
        self.bars_plot.getAxis("bottom").setTicks([ticks])
        self._rebuild_curves()
        if self.target_list.count():
            self.target_list.setCurrentRow(0)

    def plotted_targets(self) -> list[str]:
        out = []
        for i in range(self.target_list.count()):
            item = self.target_list.item(i)
            if item.checkState() == QtCore.Qt.CheckState.Checked:
                out.append(item.data(QtCore.Qt.ItemDataRole.UserRole))
        return out

    def _rebuild_curves(self) -> None:
        self.curves_plot.clear()
        self.curve_items = {}
        for k, name in enumerate(self.plotted_targets()):
            pen = pg.mkPen(pg.intColor(k, hues=max(len(self.plotted_targets()), 6)), width=2)
            self.curve_items[name] = self.curves_plot.plot(name=name, pen=pen)
        self._redraw()

    # -- live update -------------------------------------------------------------------------------------------
    def start(self) -> None:
        self._frame_timer.start(int(1000 / self.fps))
        self._file_timer.start(500)

    def step(self) -> bool:
        """Advance one frame if the source has one. Returns True when a frame was shown."""
        self.bool_guard.restore()
        item = self.feed.next(0.0)
        if item is None:
            return False
        frame = self.editor.retargeter.apply(item.state)
        self.last_frame = frame
        self.history = np.roll(self.history, -1, axis=0)
        self.times = np.roll(self.times, -1)
        self.history[-1] = frame.values
        self.times[-1] = item.state.timestamp
        self.filled = min(self.filled + 1, len(self.times))
        self.frames_shown += 1
        self._redraw()
        self.emotion_label.setText(f"emotion: {frame.emotion}")
        if frame.light is None:
            self.light_swatch.setText("no light cue")
            self.light_swatch.setStyleSheet("color: #777")
        else:
            li = frame.light
            self.light_swatch.setText("light")
            rgb = [int(255 * c * (0.4 + 0.6 * li.intensity)) for c in (li.r, li.g, li.b)]
            self.light_swatch.setStyleSheet(f"background: rgb({rgb[0]},{rgb[1]},{rgb[2]}); border: 1px solid #444")
            self.light_swatch.setToolTip(f"rgb ({li.r:g}, {li.g:g}, {li.b:g}) x{li.intensity:g}, "
                                         f"fade {li.transition_s:g} s")
        if self.frames_shown % 3 == 1:  # thumbnails need not refresh every frame
            for view, label in self.thumbs.items():
                if view in item.images:
                    label.setPixmap(gray_pixmap(item.images[view]))
        return True

    def _redraw(self) -> None:
        if self.filled == 0:
            return
        t = self.times[-self.filled :]
        t = t - t[-1]
        index = {n: i for i, n in enumerate(self.names)}
        for name, curve in self.curve_items.items():
            curve.setData(t, self.history[-self.filled :, index[name]])
        self.bars.setOpts(height=self.history[-1])

    # -- editing -----------------------------------------------------------------------------------------------
    def _on_item_checked(self, _item) -> None:
        if not getattr(self, "_syncing", False):
            self._rebuild_curves()

    def _on_target_selected(self, current, _previous=None) -> None:
        name = current.data(QtCore.Qt.ItemDataRole.UserRole) if current is not None else None
        editable = name is not None and name in self.editor.editable_targets()
        self.box.setEnabled(editable)
        self.box.setTitle(f"Curve of {name}" if editable else "Curve (select a mapped target)")
        if not editable or name is None:
            return
        curve = self.editor.curve_of(name)
        span = self._span(name)
        self._syncing = True
        self.gain_slider.setValue(round(curve.gain / GAIN_RANGE[1] * SLIDER_STEPS))
        self.offset_slider.setValue(round(curve.offset / span * (SLIDER_STEPS // 2)))
        self._syncing = False
        self._show_slider_values(curve.gain, curve.offset)

    def selected_target(self) -> str | None:
        item = self.target_list.currentItem()
        return item.data(QtCore.Qt.ItemDataRole.UserRole) if item is not None else None

    def _span(self, name: str) -> float:
        lo, hi = self.editor.base.rig_profile.range_of(name)
        return hi - lo

    def _on_slider(self, _value=None) -> None:
        name = self.selected_target()
        if getattr(self, "_syncing", False) or name is None or name not in self.editor.editable_targets():
            return
        gain = self.gain_slider.value() / SLIDER_STEPS * GAIN_RANGE[1]
        offset = self.offset_slider.value() / (SLIDER_STEPS // 2) * self._span(name)
        self.editor.set_gain_offset(name, gain, offset)
        self._show_slider_values(gain, offset)
        self.statusBar().showMessage(f"{name}: gain {gain:.3f}, offset {offset:+.3f} (unsaved)")

    def _show_slider_values(self, gain: float, offset: float) -> None:
        self.gain_value.setText(f"{gain:.3f}")
        self.offset_value.setText(f"{offset:+.3f}")

    def reset_edits(self) -> None:
        self.editor.reset_edits()
        self._on_target_selected(self.target_list.currentItem())
        self.statusBar().showMessage("edits reset to the file's values")

    # -- files ---------------------------------------------------------------------------------------------------
    def save_as_new(self):
        """Write the edited preset to a new file next to the original (or the current folder for shipped ones)."""
        try:
            path = self.editor.save_as(self.editor.default_save_path())
        except OSError as exc:
            self.statusBar().showMessage(f"save failed: {exc}")
            return None
        self.statusBar().showMessage(f"saved {path}")
        return path

    def save_over(self):
        """Overwrite the preset file, keeping the previous version as .bak."""
        try:
            backup = self.editor.save_over()
        except (OSError, PermissionError) as exc:
            self.statusBar().showMessage(f"not saved: {exc}")
            return None
        self.statusBar().showMessage(f"saved {self.editor.path} (previous version in {backup.name})")
        return backup

    def poll_file(self) -> str | None:
        """Hot reload: pick up valid edits of the preset file, keep the last good preset on broken ones."""
        self.bool_guard.restore()
        message = self.editor.poll_file()
        if message is not None:
            if message.startswith("reloaded"):
                self._load_targets()
            self.statusBar().showMessage(message)
        return message

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API name)
        self._frame_timer.stop()
        self._file_timer.stop()
        self.feed.close()
        super().closeEvent(event)
        self.bool_guard.restore()
