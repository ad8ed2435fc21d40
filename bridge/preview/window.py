"""The preset designer's studio (PySide6 + pyqtgraph): a schematic face driven by the preset's retargeted values
(original A vs edited B, split or toggled), curves and bars, every knob of the preset, problems, a diff against
the file, undo/redo, save, and a timeline for recordings.

Frames come either from a live feed (the real pipeline on a worker thread, or the synthetic ground truth) or
from a recording (RecordingPlayer: deterministic per frame, so an expression can be tuned again and again).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from bridge.preview.editor import PresetEditor
from bridge.preview.face import FaceMapper, face_mapper
from bridge.preview.face_widget import FaceImage, FaceView
from bridge.preview.knobs import KnobPanel
from bridge.preview.player import DeterministicEvaluator, RecordingPlayer, with_emotion
from bridge.preview.qt_compat import BoolRefGuard
from bridge.preview.timeline_widget import TimelineBar
from retarget import RetargetFrame

HISTORY_SECONDS = 10.0
DEFAULT_PLOTTED = 4
THUMB_VIEWS = ("left_eye", "right_eye", "mouth", "lower_face")
VIEW_MODES = {"split": "A | B side by side", "B": "B: edited only", "A": "A: original only"}


def shown_path(path: Path) -> str:
    """``path`` relative to the current folder when it is inside it (shorter in the status bar)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def gray_pixmap(image: np.ndarray, height: int = 96) -> QtGui.QPixmap:
    """A QPixmap of a 2-D uint8 image scaled to ``height`` pixels."""
    img = np.ascontiguousarray(image)
    q = QtGui.QImage(img.data, img.shape[1], img.shape[0], img.strides[0], QtGui.QImage.Format.Format_Grayscale8)
    return QtGui.QPixmap.fromImage(q.copy()).scaledToHeight(height, QtCore.Qt.TransformationMode.SmoothTransformation)


class PreviewWindow(QtWidgets.QMainWindow):
    """Designer studio. Give it a ``feed`` (live: ``next()`` -> FeedItem) or a ``player`` (a recording).

    ``step()`` advances one tick (a QTimer drives it after ``start()``); tests call it directly."""

    def __init__(self, editor: PresetEditor, feed: Any = None, fps: float = 30.0, player: RecordingPlayer | None = None,
                 outputs: Any = None, source_label: str = "") -> None:
        super().__init__()
        if (feed is None) == (player is None):
            raise ValueError("PreviewWindow needs exactly one of feed (live) or player (recording)")
        self.editor, self.feed, self.player, self.fps = editor, feed, player, fps
        self.outputs = outputs  # OutputDriver for recordings / ground truth (live feeds drive their own outputs)
        self.source_label = source_label
        self.frames_shown = 0
        self.last_frame: RetargetFrame | None = None  # edited preset (B), current frame
        self.last_original: RetargetFrame | None = None  # original (A), current frame
        self.bool_guard = BoolRefGuard()  # PySide6 6.12 leaks references to True on every emit (see qt_compat)
        self._mappers: dict[tuple[str, tuple[str, ...]], FaceMapper] = {}
        self._last_tick = time.monotonic()
        self._series_revision = -1
        self._last_state: tuple[Any, dict] | None = None
        self._stop_reported = False
        self.forced_emotion: str | None = None  # "try the pose": every frame shows this emotion
        if player is not None:
            self.states = player.states
            self.eval_a = DeterministicEvaluator(self.states)
            self.eval_b = DeterministicEvaluator(self.states)
        self._build_ui()
        if source_label:
            self.statusBar().showMessage(f"source: {source_label}")
        self._load_targets()
        editor.listeners.append(self._on_preset_changed)
        self._frame_timer = QtCore.QTimer(self)
        self._frame_timer.timeout.connect(self.step)
        self._file_timer = QtCore.QTimer(self)
        self._file_timer.timeout.connect(self.poll_file)
        if player is not None:
            self.show_position()

    # -- layout ------------------------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.setWindowTitle("FaceBridge preset studio")
        self.resize(1500, 940)
        pg.setConfigOptions(antialias=True, background="w", foreground="k")
        left = QtWidgets.QWidget()
        lv = QtWidgets.QVBoxLayout(left)
        header = QtWidgets.QHBoxLayout()
        self.title = QtWidgets.QLabel()
        self.title.setStyleSheet("font-weight: bold; font-size: 14px")
        # A long file or source name must not widen the window: the label elides instead (full text in tooltip).
        self.title.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self.emotion_label = QtWidgets.QLabel("emotion: -")
        self.light_swatch = QtWidgets.QLabel("light")
        self.light_swatch.setFixedSize(110, 24)
        self.light_swatch.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.view_combo = QtWidgets.QComboBox()
        for key, text in VIEW_MODES.items():
            self.view_combo.addItem(text, key)
        self.view_combo.currentIndexChanged.connect(lambda _i: self.set_view_mode(self.view_combo.currentData()))
        self.ab_button = QtWidgets.QPushButton("A/B")
        self.ab_button.setToolTip("toggle between the original (A) and the edited preset (B) (Ctrl+B)")
        self.ab_button.setShortcut("Ctrl+B")
        self.ab_button.clicked.connect(self.toggle_ab)
        header.addWidget(self.title, 1)
        header.addWidget(self.emotion_label)
        header.addWidget(self.light_swatch)
        header.addWidget(self.view_combo)
        header.addWidget(self.ab_button)
        lv.addLayout(header)
        self.face_view = FaceView()
        lv.addWidget(self.face_view, 5)
        self.timeline_bar: TimelineBar | None = None
        if self.player is not None:
            self.timeline_bar = TimelineBar(self.player.timeline)
            self.timeline_bar.moved.connect(self.show_position)
            lv.addWidget(self.timeline_bar)
        self.plots = QtWidgets.QTabWidget()
        self.curves_plot = pg.PlotWidget(title="selected/ticked targets: edited (solid) vs original (dashed)")
        self.curves_plot.addLegend(offset=(5, 5))
        self.curves_plot.setLabel("bottom", "seconds")
        self.bars_plot = pg.PlotWidget(title="every driven target now: edited (blue) vs original (grey)")
        self.bars_plot.setMouseEnabled(x=False, y=False)
        thumbs_page = QtWidgets.QWidget()
        thumbs = QtWidgets.QHBoxLayout(thumbs_page)
        self.thumbs: dict[str, QtWidgets.QLabel] = {}
        for view in THUMB_VIEWS:
            label = QtWidgets.QLabel(view)
            label.setFixedHeight(110)
            label.setToolTip(f"{view} camera")
            thumbs.addWidget(label)
            self.thumbs[view] = label
        thumbs.addStretch(1)
        self.plots.addTab(self.curves_plot, "Curves")
        self.plots.addTab(self.bars_plot, "All targets")
        self.plots.addTab(thumbs_page, "Cameras")
        lv.addWidget(self.plots, 3)

        right = QtWidgets.QWidget()
        rv = QtWidgets.QVBoxLayout(right)
        rsplit = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        targets = QtWidgets.QWidget()
        tv = QtWidgets.QVBoxLayout(targets)
        tv.setContentsMargins(0, 0, 0, 0)
        tv.addWidget(QtWidgets.QLabel("Targets (select to edit, tick to plot):"))
        self.target_list = QtWidgets.QListWidget()
        self.target_list.itemChanged.connect(self._on_item_checked)
        self.target_list.currentItemChanged.connect(self._on_target_selected)
        tv.addWidget(self.target_list)
        rsplit.addWidget(targets)
        self.knobs = KnobPanel(self.editor, status=self.statusBar().showMessage)
        self.knobs.try_emotion.connect(self.set_forced_emotion)
        rsplit.addWidget(self.knobs)
        diff = QtWidgets.QWidget()
        dv = QtWidgets.QVBoxLayout(diff)
        dv.setContentsMargins(0, 0, 0, 0)
        dv.addWidget(QtWidgets.QLabel("Edits vs the file:"))
        self.diff_view = QtWidgets.QPlainTextEdit()
        self.diff_view.setReadOnly(True)
        self.diff_view.setStyleSheet("font-family: monospace; font-size: 11px")
        dv.addWidget(self.diff_view)
        rsplit.addWidget(diff)
        rsplit.setSizes([170, 600, 110])
        rv.addWidget(rsplit, 1)
        buttons = QtWidgets.QHBoxLayout()
        self.undo_button = QtWidgets.QPushButton("Undo")
        self.undo_button.setShortcut(QtGui.QKeySequence.StandardKey.Undo)
        self.undo_button.clicked.connect(self.undo)
        self.redo_button = QtWidgets.QPushButton("Redo")
        self.redo_button.setShortcut(QtGui.QKeySequence.StandardKey.Redo)
        self.redo_button.clicked.connect(self.redo)
        self.revert_button = QtWidgets.QPushButton("Revert to file")
        self.revert_button.clicked.connect(self.revert)
        self.save_new_button = QtWidgets.QPushButton("Save as new…")
        self.save_new_button.clicked.connect(lambda: self.save_as_new())
        self.save_over_button = QtWidgets.QPushButton("Save over…")
        self.save_over_button.setToolTip("overwrite the file after asking; the old version is kept as .bak")
        self.save_over_button.clicked.connect(lambda: self.save_over())
        for b in (self.undo_button, self.redo_button, self.revert_button, self.save_new_button,
                  self.save_over_button):
            buttons.addWidget(b)
        rv.addLayout(buttons)

        splitter = QtWidgets.QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([900, 600])
        self.setCentralWidget(splitter)
        self.statusBar().showMessage("ready")
        self._update_history_buttons()
        self._update_diff()

    def _load_targets(self) -> None:
        """(Re)build everything that depends on the preset's target list."""
        p = self.editor.preset
        names = p.target_names()
        if getattr(self, "names", None) == names:
            self._update_title()
            return
        previous = self.selected_target()
        checked = set(self.plotted_targets()) if getattr(self, "names", None) else None
        self.names = names
        self._update_title()
        self._syncing = True
        self.target_list.clear()
        mapped = set(self.editor.editable_targets())
        for i, name in enumerate(names):
            item = QtWidgets.QListWidgetItem(name if name in mapped else f"{name}  (emotion pose only)")
            item.setData(QtCore.Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
            on = (name in checked) if checked is not None else i < DEFAULT_PLOTTED
            item.setCheckState(QtCore.Qt.CheckState.Checked if on else QtCore.Qt.CheckState.Unchecked)
            self.target_list.addItem(item)
        self._syncing = False
        self.history_b = np.zeros((max(int(HISTORY_SECONDS * self.fps), 2), len(names)), dtype=np.float32)
        self.history_a = np.zeros_like(self.history_b)
        self.times = np.full(self.history_b.shape[0], np.nan)
        self.filled = 0
        lo = min((p.rig_profile.range_of(n)[0] for n in names), default=0.0)
        self.curves_plot.setYRange(lo, 1.0)
        self.bars_plot.setYRange(lo, 1.0)
        self.bars_plot.clear()
        x = np.arange(len(names))
        self.bars_a = pg.BarGraphItem(x=x - 0.2, height=np.zeros(len(names)), width=0.4, brush=(170, 170, 170))
        self.bars_b = pg.BarGraphItem(x=x + 0.2, height=np.zeros(len(names)), width=0.4, brush=(60, 120, 200))
        self.bars_plot.addItem(self.bars_a)
        self.bars_plot.addItem(self.bars_b)
        step = max(1, -(-len(names) // 10))  # at most ~10 tick labels: long rig names must not overlap
        self.bars_plot.getAxis("bottom").setTicks([[(i, names[i]) for i in range(0, len(names), step)]])
        self._rebuild_curves()
        row = names.index(previous) if previous in names else 0
        if self.target_list.count():
            self.target_list.setCurrentRow(row)

    def _update_title(self) -> None:
        p = self.editor.preset
        dirty = " (edited)" if self.editor.dirty else ""
        self.title.setText(f"{p.name}{dirty}  ·  {p.rig}, {len(p.target_names())} targets  ·  {self.editor.path.name}")
        self.title.setToolTip(f"{self.editor.path}\nsource: {self.source_label or '-'}")
        if self.source_label:
            self.setWindowTitle(f"FaceBridge preset studio: {p.name} on {self.source_label}")

    def plotted_targets(self) -> list[str]:
        out = []
        for i in range(self.target_list.count()):
            item = self.target_list.item(i)
            if item.checkState() == QtCore.Qt.CheckState.Checked:
                out.append(item.data(QtCore.Qt.ItemDataRole.UserRole))
        selected = self.selected_target()
        if selected is not None and selected not in out:
            out.insert(0, selected)
        return out

    def selected_target(self) -> str | None:
        item = self.target_list.currentItem()
        return item.data(QtCore.Qt.ItemDataRole.UserRole) if item is not None else None

    def _rebuild_curves(self) -> None:
        self.curves_plot.clear()
        self.curve_items: dict[str, tuple[Any, Any]] = {}
        plotted = self.plotted_targets()
        for k, name in enumerate(plotted):
            color = pg.intColor(k, hues=max(len(plotted), 6), maxValue=210)  # dark enough on white
            b = self.curves_plot.plot(name=name, pen=pg.mkPen(color, width=2))
            a = self.curves_plot.plot(pen=pg.mkPen(color, width=1, style=QtCore.Qt.PenStyle.DashLine),
                                      connect="finite")  # NaN: the original does not drive this target
            self.curve_items[name] = (a, b)
        self.cursor_line = None
        if self.player is not None:
            self.cursor_line = pg.InfiniteLine(angle=90, pen=pg.mkPen((200, 60, 60), width=1))
            self.curves_plot.addItem(self.cursor_line)
            self._series_revision = -1
        self._redraw()

    # -- frames ------------------------------------------------------------------------------------------------
    def start(self) -> None:
        self._last_tick = time.monotonic()
        self._frame_timer.start(int(1000 / self.fps))
        self._file_timer.start(500)

    def step(self) -> bool:
        """One tick: drain a live feed, or advance a playing recording. True when a new frame was shown."""
        self.bool_guard.restore()
        now = time.monotonic()
        elapsed, self._last_tick = now - self._last_tick, now
        if self.player is not None:
            if self.player.timeline.advance(elapsed):
                self.show_position()
                if self.timeline_bar is not None:
                    self.timeline_bar.sync()
                return True
            if self.timeline_bar is not None and not self.player.timeline.playing:
                self.timeline_bar.sync()
            return False
        shown = False
        burst = 64 if getattr(self.feed, "realtime", True) else 1  # offline feeds: one frame per tick
        for _ in range(burst):  # bounded: a burst never freezes the UI
            item = self.feed.next(0.0)
            if item is None:
                break
            state = item.state if self.forced_emotion is None else with_emotion(item.state, self.forced_emotion)
            a = self.editor.original.apply(state)
            b = self.editor.retargeter.apply(state)
            self._push_history(item.state.timestamp, a, b)
            if self.outputs is not None:
                self.outputs.send(state, b)
            self._show(a, b, item.images if self.frames_shown % 3 == 0 else None)
            self._last_state = (item.state, item.images)
            shown = True
        if shown:
            self._redraw()
        elif getattr(self.feed, "running", True) is False and not self._stop_reported:
            self._stop_reported = True  # a file ended or the pipeline failed: say so once, keep the window
            self.statusBar().showMessage(f"source stopped ({getattr(self.feed, 'stop_reason', None) or 'ended'}); "
                                         "the last frame stays on screen")
        return shown

    def show_position(self) -> None:
        """Show the recording's current frame (deterministic: depends only on the presets and the position)."""
        assert self.player is not None
        i = self.player.timeline.position
        a = self.eval_a.frame(self.editor.base, i)
        b = self.eval_b.frame(self.editor.preset, i)
        if self.outputs is not None:
            self.outputs.send(self.states[i], b)
        # Camera images: every frame when stepping or scrubbing, every third while playing.
        playing = self.player.timeline.playing
        self._show(a, b, self.player.images(i) if not playing or self.frames_shown % 3 == 0 else None)
        self._redraw()
        if self.timeline_bar is not None:
            self.timeline_bar.sync()

    def frame_at(self, i: int, original: bool = False) -> RetargetFrame:
        """The retargeted frame i of the recording (edited preset, or the original)."""
        assert self.player is not None
        return (self.eval_a.frame(self.editor.base, i) if original else self.eval_b.frame(self.editor.preset, i))

    def _aligned(self, frame: RetargetFrame) -> np.ndarray:
        """``frame``'s values in the order of the shown target list (the edited preset's); targets the frame's
        preset does not drive read NaN (not plotted)."""
        if frame.names == self.names:
            return frame.values
        index = {n: i for i, n in enumerate(frame.names)}
        return np.array([frame.values[index[n]] if n in index else np.nan for n in self.names], dtype=np.float32)

    def _push_history(self, t: float, a: RetargetFrame, b: RetargetFrame) -> None:
        if b.names != self.names:
            return  # a target list change is being applied; the next frame matches again
        self.history_b = np.roll(self.history_b, -1, axis=0)
        self.history_a = np.roll(self.history_a, -1, axis=0)
        self.times = np.roll(self.times, -1)
        self.history_b[-1] = b.values
        self.history_a[-1] = self._aligned(a)
        self.times[-1] = t
        self.filled = min(self.filled + 1, len(self.times))

    def _mapper(self, frame: RetargetFrame) -> FaceMapper:
        key = (frame.rig, frame.names)
        mapper = self._mappers.get(key)
        if mapper is None:
            mapper = self._mappers[key] = face_mapper(frame.rig, frame.names)
        return mapper

    def _face_image(self, frame: RetargetFrame, title: str) -> FaceImage:
        selected = self.selected_target()
        value = ""
        if selected in frame.names:
            value = f"   {selected} = {float(frame.values[frame.names.index(selected)]):.2f}"
        return FaceImage(self._mapper(frame).features(frame.values), frame.light, title,
                         f"emotion: {frame.emotion}{value}")

    def _show(self, a: RetargetFrame, b: RetargetFrame, images: dict | None) -> None:
        self.last_original, self.last_frame = a, b
        self.frames_shown += 1
        edited = "B: edited" + (" *" if self.editor.dirty else " (= file)")
        self.face_view.set_faces(self._face_image(a, "A: original (file)"), self._face_image(b, edited))
        self.emotion_label.setText(f"emotion: {b.emotion}")
        if b.light is None:
            self.light_swatch.setText("no light cue")
            self.light_swatch.setStyleSheet("color: #777")
        else:
            li = b.light
            self.light_swatch.setText("light")
            rgb = [int(255 * c * (0.4 + 0.6 * li.intensity)) for c in (li.r, li.g, li.b)]
            self.light_swatch.setStyleSheet(f"background: rgb({rgb[0]},{rgb[1]},{rgb[2]}); border: 1px solid #444")
            self.light_swatch.setToolTip(f"rgb ({li.r:g}, {li.g:g}, {li.b:g}) x{li.intensity:g}, "
                                         f"fade {li.transition_s:g} s")
        if images:
            for view, label in self.thumbs.items():
                if view in images:
                    label.setPixmap(gray_pixmap(images[view]))

    def _recording_series(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(times, original values, edited values) of the whole recording in the shown target order, recomputed
        when a preset changes (the original's only when the file or the shown emotion changes)."""
        assert self.player is not None
        n = len(self.states)
        if self._series_revision != self.editor.revision:
            key = (id(self.editor.base), id(self.states), self.names)
            if getattr(self, "_series_a_key", None) != key:
                a_eval = DeterministicEvaluator(self.states)
                self._series_a = np.stack([self._aligned(a_eval.frame(self.editor.base, i)) for i in range(n)])
                self._series_a_key = key
            b_eval = DeterministicEvaluator(self.states)
            self._series = (
                np.array([self.player.timeline.time_of(i) for i in range(n)]),
                self._series_a,
                np.stack([b_eval.frame(self.editor.preset, i).values for i in range(n)]),
            )
            self._series_revision = self.editor.revision
        return self._series

    def _redraw(self) -> None:
        names = getattr(self, "names", ())
        index = {n: i for i, n in enumerate(names)}
        if self.player is not None:
            t, va, vb = self._recording_series()
            if vb.shape[1] != len(names):
                return
            for name, (ca, cb) in self.curve_items.items():
                if name in index:
                    ca.setData(t, va[:, index[name]])
                    cb.setData(t, vb[:, index[name]])
            if self.cursor_line is not None:
                self.cursor_line.setValue(self.player.timeline.time_of(self.player.timeline.position))
            if self.last_frame is not None and self.last_original is not None and self.last_frame.names == names:
                self.bars_a.setOpts(height=np.nan_to_num(self._aligned(self.last_original)))
                self.bars_b.setOpts(height=self.last_frame.values)
            return
        if self.filled == 0:
            return
        t = self.times[-self.filled :]
        t = t - t[-1]
        for name, (ca, cb) in self.curve_items.items():
            if name in index:
                ca.setData(t, self.history_a[-self.filled :, index[name]])
                cb.setData(t, self.history_b[-self.filled :, index[name]])
        self.bars_a.setOpts(height=np.nan_to_num(self.history_a[-1]))
        self.bars_b.setOpts(height=self.history_b[-1])

    def set_forced_emotion(self, emotion: str | None) -> None:
        """Show ``emotion`` (a FER+ label) on every frame, for both A and B, or None for the tracker's own."""
        self.forced_emotion = emotion
        if self.player is not None:
            base = self.player.states
            self.states = base if emotion is None else [with_emotion(s, emotion) for s in base]
            self.eval_a = DeterministicEvaluator(self.states)
            self.eval_b = DeterministicEvaluator(self.states)
            self._series_revision = -1
        self.statusBar().showMessage(f"showing {emotion} on every frame (preview only)" if emotion
                                     else "showing the tracker's emotions")
        self._refresh_faces()

    # -- A/B -----------------------------------------------------------------------------------------------------
    def set_view_mode(self, mode: str) -> None:
        """"split" (A and B side by side), "B" (edited) or "A" (original)."""
        self.face_view.set_mode(mode)
        i = self.view_combo.findData(mode)
        if i >= 0 and i != self.view_combo.currentIndex():
            self.view_combo.setCurrentIndex(i)

    def toggle_ab(self) -> None:
        """Flip the single-face view between A and B (from split, show A first)."""
        self.set_view_mode("B" if self.face_view.mode == "A" else "A")

    # -- editing -----------------------------------------------------------------------------------------------
    def _on_item_checked(self, _item) -> None:
        if not getattr(self, "_syncing", False):
            self._rebuild_curves()

    def _on_target_selected(self, current, _previous=None) -> None:
        name = current.data(QtCore.Qt.ItemDataRole.UserRole) if current is not None else None
        self.knobs.select_target(name)
        if not getattr(self, "_syncing", False):
            self._rebuild_curves()
            self._refresh_faces()

    def select_target(self, name: str) -> None:
        for i in range(self.target_list.count()):
            if self.target_list.item(i).data(QtCore.Qt.ItemDataRole.UserRole) == name:
                self.target_list.setCurrentRow(i)
                return
        raise KeyError(f"{name!r} is not driven by preset {self.editor.preset.name!r}")

    def _on_preset_changed(self) -> None:
        """The edited (or original) preset changed: lists, diff, the live outputs, and the frame shown."""
        self._load_targets()
        self._update_title()
        self._update_diff()
        self._update_history_buttons()
        if self.feed is not None and hasattr(self.feed, "set_preset"):
            self.feed.set_preset(self.editor.preset)  # live outputs follow the edit from the next frame
        self._refresh_faces()

    def _refresh_faces(self) -> None:
        """Re-draw the current frame with the current presets (a paused recording or a stalled camera still
        shows the effect of an edit at once)."""
        if self.player is not None:
            self.show_position()
        elif self._last_state is not None:
            state, _images = self._last_state
            if self.forced_emotion is not None:
                state = with_emotion(state, self.forced_emotion)
            self._show(self.editor.original.apply(state), self.editor.retargeter.apply(state), None)
            self._redraw()

    def _update_diff(self) -> None:
        lines = self.editor.diff()
        self.diff_view.setPlainText("\n".join(str(x) for x in lines) if lines else "(no edits: same as the file)")

    def _update_history_buttons(self) -> None:
        ed = self.editor
        self.undo_button.setEnabled(bool(ed.undo_stack))
        self.redo_button.setEnabled(bool(ed.redo_stack))
        self.undo_button.setToolTip(f"undo {ed.undo_stack[-1].label}" if ed.undo_stack else "nothing to undo")
        self.redo_button.setToolTip(f"redo {ed.redo_stack[-1].label}" if ed.redo_stack else "nothing to redo")
        self.revert_button.setEnabled(ed.dirty)
        self.save_over_button.setEnabled(not ed.is_shipped)

    def undo(self) -> None:
        label = self.editor.undo()
        self.statusBar().showMessage(f"undid {label}" if label else "nothing to undo")

    def redo(self) -> None:
        label = self.editor.redo()
        self.statusBar().showMessage(f"redid {label}" if label else "nothing to redo")

    def revert(self) -> None:
        self.editor.revert_to_file()
        self.statusBar().showMessage("edits reverted to the file's values (Undo brings them back)")

    # -- files ---------------------------------------------------------------------------------------------------
    def save_as_new(self, path: Path | None = None, ask: bool = True) -> Path | None:
        """Write the edited preset to a NEW file (a file dialog unless ``path`` is given); never overwrites."""
        if path is None:
            default = self.editor.default_save_path()
            if not ask:
                path = default
            else:
                chosen, _ = QtWidgets.QFileDialog.getSaveFileName(
                    self, "Save preset as a new file", str(default), "Presets (*.toml)",
                    options=QtWidgets.QFileDialog.Option.DontConfirmOverwrite)
                if not chosen:
                    return None
                path = Path(chosen)
        try:
            written = self.editor.save_as(Path(path))
        except FileExistsError:
            self.statusBar().showMessage(f"{path} exists: not overwritten (pick a new name, or use Save over… for "
                                         f"the file being edited)")
            return None
        except OSError as exc:
            self.statusBar().showMessage(f"save failed: {exc}")
            return None
        shown = shown_path(written)
        self.statusBar().showMessage(f"saved {shown}; now editing it (a bridge running with --preset {shown} "
                                     "reloads it on every save)")
        self._update_title()
        self._update_history_buttons()
        return written

    def save_over(self, ask: bool = True) -> Path | None:
        """Overwrite the preset file after asking; the previous version is kept as .bak. Returns the backup."""
        if self.editor.is_shipped:
            self.statusBar().showMessage(f"{self.editor.path.name} is a shipped preset: use Save as new…")
            return None
        if ask:
            answer = QtWidgets.QMessageBox.question(
                self, "Overwrite preset?", f"Overwrite {self.editor.path}?\nThe current file is kept as a .bak "
                "copy, and a bridge running with this preset reloads it.")
            if answer != QtWidgets.QMessageBox.StandardButton.Yes:
                return None
        try:
            backup = self.editor.save_over()
        except (OSError, PermissionError) as exc:
            self.statusBar().showMessage(f"not saved: {exc}")
            return None
        self.statusBar().showMessage(f"saved {shown_path(self.editor.path)} (previous version in {backup.name})")
        self._update_title()
        self._update_history_buttons()
        return backup

    def poll_file(self) -> str | None:
        """Hot reload of the file being edited (the original, A): a valid change is picked up, a broken one
        keeps the last good preset and its problems are shown."""
        self.bool_guard.restore()
        message = self.editor.poll_file()
        if message is not None:
            self.statusBar().showMessage(message)
            error = self.editor.watcher.last_error
            if "problems" in message and error is not None:
                self.knobs.show_problems(self.editor.path.name, error.problems)
        return message

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API name)
        self._frame_timer.stop()
        self._file_timer.stop()
        for closer in (getattr(self.feed, "close", None), getattr(self.outputs, "close", None),
                       getattr(self.player, "close", None)):
            if closer is not None:
                closer()
        super().closeEvent(event)
        self.bool_guard.restore()
