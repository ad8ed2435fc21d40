"""Knob editors (Qt) for every setting of the preset format, bound to a PresetEditor.

Tabs: Target (curve: gain, offset, gamma, ease, dead zone, clamp; weighted sum; min/max/product terms; map or
unmap a target), Emotions (mode, hysteresis, min probability, hold, cross-fade; per emotion: blend mode, pose
values, light cue, activation of custom emotions), Eyes & file (eye link/drive, mirror, name/author/version/
description). Every change goes through ``PresetEditor`` (validated like `presets validate`); a rejected edit is
listed in the Problems box and the widgets snap back to the preset that is running.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore, QtGui, QtWidgets

from bridge.preview.editor import GAIN_RANGE, EditRejected, PresetEditor
from bridge.schema import FER8
from retarget import LightCue, Term
from retarget.inputs import EYE_MODES, INPUT_NAMES
from retarget.spec import BLEND_MODES, EASES, EMOTION_MODES, TERM_OPS

SLIDER_STEPS = 300


def _spin(lo: float, hi: float, step: float = 0.01, decimals: int = 3) -> QtWidgets.QDoubleSpinBox:
    box = QtWidgets.QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setSingleStep(step)
    box.setDecimals(decimals)
    box.setKeyboardTracking(False)  # one edit per Enter / arrow step, not per keystroke
    return box


def _weights_text(weights) -> str:
    return ", ".join(f"{k} = {v:g}" for k, v in weights)


def parse_weights_text(text: str) -> tuple[tuple[str, float], ...]:
    """'a = 1, b = 0.5' -> (('a', 1.0), ('b', 0.5)); raises ValueError naming the bad part."""
    out = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"{part!r}: write source = weight")
        try:
            out.append((name.strip(), float(value)))
        except ValueError:
            raise ValueError(f"{part!r}: weight {value.strip()!r} is not a number") from None
    return tuple(out)


class WeightsTable(QtWidgets.QWidget):
    """An editable (name, number) table with add/remove rows; ``changed`` carries the rows when edited."""

    changed = QtCore.Signal(object)

    def __init__(self, name_header: str, value_header: str, completions: list[str] | None = None) -> None:
        super().__init__()
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.table = QtWidgets.QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels([name_header, value_header])
        self.table.horizontalHeader().setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setMinimumHeight(90)
        self.table.itemChanged.connect(self._emit)
        lay.addWidget(self.table)
        row = QtWidgets.QHBoxLayout()
        self.add_button = QtWidgets.QPushButton("+ row")
        self.remove_button = QtWidgets.QPushButton("- row")
        self.add_button.clicked.connect(self._add_row)
        self.remove_button.clicked.connect(self._remove_row)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        lay.addLayout(row)
        self.completions = completions or []
        self._loading = False

    def set_rows(self, rows) -> None:
        self._loading = True
        self.table.setRowCount(0)
        for name, value in rows:
            self._append(name, f"{value:g}")
        self._loading = False

    def _append(self, name: str, value: str) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        self.table.setItem(r, 0, QtWidgets.QTableWidgetItem(name))
        self.table.setItem(r, 1, QtWidgets.QTableWidgetItem(value))

    def rows(self) -> list[tuple[str, str]]:
        out = []
        for r in range(self.table.rowCount()):
            name = self.table.item(r, 0)
            value = self.table.item(r, 1)
            out.append(((name.text() if name else "").strip(), (value.text() if value else "").strip()))
        return out

    def _emit(self, _item=None) -> None:
        if not self._loading:
            self.changed.emit(self.rows())

    def _add_row(self) -> None:
        used = {n for n, _ in self.rows()}
        name = next((c for c in self.completions if c not in used), "")
        self._loading = True
        self._append(name, "1")
        self._loading = False
        self._emit()

    def _remove_row(self) -> None:
        r = self.table.currentRow() if self.table.currentRow() >= 0 else self.table.rowCount() - 1
        if r >= 0:
            self.table.removeRow(r)
            self._emit()


def rows_to_weights(rows: list[tuple[str, str]]) -> tuple[tuple[str, float], ...]:
    """Table rows -> weights; raises ValueError naming the row with a non-number (empty rows are skipped)."""
    out = []
    for i, (name, value) in enumerate(rows, 1):
        if not name and not value:
            continue
        try:
            out.append((name, float(value)))
        except ValueError:
            raise ValueError(f"row {i} ({name or 'no name'}): {value!r} is not a number") from None
    return tuple(out)


class KnobPanel(QtWidgets.QWidget):
    """All knobs of the preset. ``status`` is called with one-line messages for the status bar.
    ``try_emotion`` carries the FER+ emotion to show on every frame (or None) while a pose is tuned."""

    try_emotion = QtCore.Signal(object)

    def __init__(self, editor: PresetEditor, status: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.editor = editor
        self.status = status or (lambda _msg: None)
        self.target: str | None = None
        self._syncing = False
        self._gesture: object | None = None
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.addTab(self._scroll(self._target_tab()), "Target")
        self.tabs.addTab(self._scroll(self._emotion_tab()), "Emotions")
        self.tabs.addTab(self._scroll(self._options_tab()), "Eyes && file")
        lay.addWidget(self.tabs, 1)
        self.problems = QtWidgets.QPlainTextEdit()
        self.problems.setReadOnly(True)
        self.problems.setMaximumHeight(64)
        self.problems.setPlaceholderText("Problems: a rejected edit is listed here (nothing was applied).")
        self.problems.setStyleSheet("QPlainTextEdit { color: #b00020; }")
        lay.addWidget(self.problems)
        editor.listeners.append(self.refresh)
        self.refresh()

    @staticmethod
    def _scroll(page: QtWidgets.QWidget) -> QtWidgets.QScrollArea:
        area = QtWidgets.QScrollArea()
        area.setWidget(page)
        area.setWidgetResizable(True)
        area.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        return area

    # -- plumbing ------------------------------------------------------------------------------------------
    def edit(self, what: str, fn: Callable, *args, **kwargs) -> bool:
        """Run one editor call; a rejection is shown in Problems and the widgets are reset. True if applied."""
        if self._syncing:
            return False
        try:
            fn(*args, **kwargs)
        except EditRejected as exc:
            self.show_problems(what, exc.problems)
            self.refresh()
            return False
        except (KeyError, ValueError) as exc:
            self.show_problems(what, [str(exc).strip("'\"")])
            self.refresh()
            return False
        self.problems.clear()
        self.status(f"{what} (unsaved)")
        return True

    def show_problems(self, what: str, problems: list[str]) -> None:
        self.problems.setPlainText(f"{what}: not applied\n" + "\n".join(f"  {p}" for p in problems))
        self.status(f"{what}: not applied ({len(problems)} problem{'s' if len(problems) != 1 else ''})")

    # -- Target tab ----------------------------------------------------------------------------------------
    def _target_tab(self) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        outer = QtWidgets.QVBoxLayout(page)
        self.target_title = QtWidgets.QLabel("select a target")
        self.target_title.setStyleSheet("font-weight: bold")
        outer.addWidget(self.target_title)
        curve = QtWidgets.QGroupBox("Curve")
        form = QtWidgets.QFormLayout(curve)
        self.gain_slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.gain_slider.setRange(0, SLIDER_STEPS)
        self.gain_spin = _spin(-10.0, 10.0, 0.05)
        self.offset_slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.offset_slider.setRange(-SLIDER_STEPS // 2, SLIDER_STEPS // 2)
        self.offset_spin = _spin(-2.0, 2.0, 0.01)
        for slider in (self.gain_slider, self.offset_slider):
            slider.sliderPressed.connect(self._new_gesture)
            slider.valueChanged.connect(self._on_curve_slider)
        form.addRow("gain", self._pair(self.gain_slider, self.gain_spin))
        form.addRow("offset", self._pair(self.offset_slider, self.offset_spin))
        self.gamma_spin = _spin(0.05, 10.0, 0.05)
        self.ease_combo = QtWidgets.QComboBox()
        self.ease_combo.addItems(EASES)
        self.dead_zone_spin = _spin(0.0, 0.95, 0.01)
        clamp_row = QtWidgets.QHBoxLayout()
        self.clamp_check = QtWidgets.QCheckBox("clamp")
        self.clamp_lo = _spin(-1.0, 1.0, 0.05)
        self.clamp_hi = _spin(-1.0, 1.0, 0.05)
        for w in (self.clamp_check, self.clamp_lo, self.clamp_hi):
            clamp_row.addWidget(w)
        form.addRow("gamma", self.gamma_spin)
        form.addRow("ease", self.ease_combo)
        form.addRow("dead zone", self.dead_zone_spin)
        form.addRow("range", clamp_row)
        self.gain_spin.valueChanged.connect(lambda v: self._curve(gain=v))
        self.offset_spin.valueChanged.connect(lambda v: self._curve(offset=v))
        self.gamma_spin.valueChanged.connect(lambda v: self._curve(gamma=v))
        self.ease_combo.currentTextChanged.connect(lambda v: self._curve(ease=v))
        self.dead_zone_spin.valueChanged.connect(lambda v: self._curve(dead_zone=v))
        self.clamp_check.toggled.connect(self._on_clamp)
        self.clamp_lo.valueChanged.connect(self._on_clamp)
        self.clamp_hi.valueChanged.connect(self._on_clamp)
        outer.addWidget(curve)
        self.curve_box = curve
        sources = QtWidgets.QGroupBox("Sources: weighted sum")
        sl = QtWidgets.QVBoxLayout(sources)
        self.sum_table = WeightsTable("source", "weight", list(INPUT_NAMES))
        self.sum_table.changed.connect(self._on_sum)
        sl.addWidget(self.sum_table)
        outer.addWidget(sources)
        terms = QtWidgets.QGroupBox("Terms: weight x op(w1*a, w2*b, ...), added to the sum")
        tl = QtWidgets.QVBoxLayout(terms)
        self.terms_table = QtWidgets.QTableWidget(0, 3)
        self.terms_table.setHorizontalHeaderLabels(["op", "of (source = weight, ...)", "weight"])
        self.terms_table.horizontalHeader().setSectionResizeMode(1, QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.terms_table.verticalHeader().setVisible(False)
        self.terms_table.setMinimumHeight(70)
        self.terms_table.itemChanged.connect(self._on_terms)
        tl.addWidget(self.terms_table)
        trow = QtWidgets.QHBoxLayout()
        add_term = QtWidgets.QPushButton("+ term")
        add_term.clicked.connect(self._add_term)
        remove_term = QtWidgets.QPushButton("- term")
        remove_term.clicked.connect(self._remove_term)
        trow.addWidget(add_term)
        trow.addWidget(remove_term)
        trow.addStretch(1)
        tl.addLayout(trow)
        outer.addWidget(terms)
        self.mapping_widgets = (curve, sources, terms)
        mrow = QtWidgets.QHBoxLayout()
        self.map_button = QtWidgets.QPushButton("Map this target")
        self.map_button.setToolTip("drive a pose-only or unmapped target from a source (weight 1), then edit it")
        self.map_button.clicked.connect(self._map_target)
        self.unmap_button = QtWidgets.QPushButton("Remove mapping")
        self.unmap_button.clicked.connect(self._unmap_target)
        mrow.addWidget(self.map_button)
        mrow.addWidget(self.unmap_button)
        mrow.addStretch(1)
        outer.addLayout(mrow)
        arow = QtWidgets.QHBoxLayout()
        self.new_target_combo = QtWidgets.QComboBox()
        self.new_target_combo.setToolTip("rig targets this preset does not drive yet")
        self.new_source = QtWidgets.QLineEdit("jawOpen")
        self.new_source.setToolTip("the source that drives it (weight 1); edit the sum afterwards")
        completer = QtWidgets.QCompleter(list(INPUT_NAMES))
        completer.setCaseSensitivity(QtCore.Qt.CaseSensitivity.CaseInsensitive)
        self.new_source.setCompleter(completer)
        add_target = QtWidgets.QPushButton("Add target")
        add_target.clicked.connect(self._add_target)
        arow.addWidget(QtWidgets.QLabel("new:"))
        arow.addWidget(self.new_target_combo, 1)
        arow.addWidget(QtWidgets.QLabel("from"))
        arow.addWidget(self.new_source, 1)
        arow.addWidget(add_target)
        outer.addLayout(arow)
        outer.addStretch(1)
        return page

    @staticmethod
    def _pair(a: QtWidgets.QWidget, b: QtWidgets.QWidget) -> QtWidgets.QWidget:
        w = QtWidgets.QWidget()
        h = QtWidgets.QHBoxLayout(w)
        h.setContentsMargins(0, 0, 0, 0)
        h.addWidget(a, 1)
        h.addWidget(b)
        return w

    def _new_gesture(self) -> None:
        self._gesture = object()  # one slider drag = one undo step

    def _span(self) -> float:
        if self.target is None:
            return 1.0
        lo, hi = self.editor.preset.rig_profile.range_of(self.target)
        return hi - lo

    def _on_curve_slider(self, _value=None) -> None:
        if self._syncing or self.target is None:
            return
        gain = self.gain_slider.value() / SLIDER_STEPS * GAIN_RANGE[1]
        offset = self.offset_slider.value() / (SLIDER_STEPS // 2) * self._span()
        gesture = self._gesture if (self.gain_slider.isSliderDown() or self.offset_slider.isSliderDown()) else None
        self.edit(f"{self.target}: gain {gain:.3f}, offset {offset:+.3f}", self.editor.set_gain_offset, self.target,
                  gain, offset, gesture=gesture)

    def _curve(self, **fields) -> None:
        if self.target is not None:
            what = ", ".join(f"{k} {v}" for k, v in fields.items())
            self.edit(f"{self.target}: {what}", self.editor.set_curve, self.target, **fields)

    def _on_clamp(self, *_args) -> None:
        if self._syncing or self.target is None:
            return
        clamp = (self.clamp_lo.value(), self.clamp_hi.value()) if self.clamp_check.isChecked() else None
        self.edit(f"{self.target}: clamp {clamp}", self.editor.set_curve, self.target, clamp=clamp)

    def _on_sum(self, rows) -> None:
        if self._syncing or self.target is None:
            return
        try:
            weights = rows_to_weights(rows)
        except ValueError as exc:
            self.show_problems(f"{self.target}.sum", [str(exc)])
            return  # leave the cell for the user to fix; nothing was applied
        self.edit(f"{self.target}.sum", self.editor.set_sum, self.target, weights)

    def _term_rows(self) -> list[Term]:
        terms = []
        for r in range(self.terms_table.rowCount()):
            cells = [self.terms_table.item(r, c) for c in range(3)]
            op, of, weight = ((c.text().strip() if c else "") for c in cells)
            try:
                w = float(weight or "1")
            except ValueError:
                raise ValueError(f"term {r + 1}: weight {weight!r} is not a number") from None
            terms.append(Term(op, parse_weights_text(of), w))
        return terms

    def _on_terms(self, _item=None) -> None:
        if self._syncing or self.target is None:
            return
        try:
            terms = self._term_rows()
        except ValueError as exc:
            self.show_problems(f"{self.target}.terms", [str(exc)])
            return
        self.edit(f"{self.target}.terms", self.editor.set_terms, self.target, terms)

    def _add_term(self) -> None:
        m = self.editor.preset.mapping(self.target) if self.target is not None else None
        if m is None:
            return
        first = m.sum[0][0] if m.sum else "jawOpen"
        self.edit(f"{self.target}: add term", self.editor.set_terms, self.target,
                  (*m.terms, Term("min", ((first, 1.0),), 1.0)))

    def _remove_term(self) -> None:
        m = self.editor.preset.mapping(self.target) if self.target else None
        if m is None or not m.terms:
            return
        r = self.terms_table.currentRow()
        r = r if 0 <= r < len(m.terms) else len(m.terms) - 1
        self.edit(f"{self.target}: remove term {r + 1}", self.editor.set_terms, self.target,
                  tuple(t for i, t in enumerate(m.terms) if i != r))

    def _map_target(self) -> None:
        if self.target is not None:
            self.edit(f"map {self.target}", self.editor.add_target, self.target, "jawOpen")

    def _add_target(self) -> None:
        target = self.new_target_combo.currentText()
        if target:
            self.edit(f"add target {target}", self.editor.add_target, target, self.new_source.text().strip())

    def _unmap_target(self) -> None:
        if self.target is not None:
            self.edit(f"remove mapping of {self.target}", self.editor.remove_target, self.target)

    def select_target(self, target: str | None) -> None:
        self.target = target
        self.refresh()

    def _refresh_target(self) -> None:
        p = self.editor.preset
        driven = set(p.target_names())
        current = self.new_target_combo.currentText()
        self.new_target_combo.clear()
        self.new_target_combo.addItems([n for n in p.rig_profile.names if n not in driven])
        if current:
            self.new_target_combo.setCurrentText(current)
        t = self.target
        m = p.mapping(t) if t else None
        for w in self.mapping_widgets:
            w.setEnabled(m is not None)
        self.map_button.setEnabled(t is not None and m is None)
        self.unmap_button.setEnabled(m is not None)
        if t is None:
            self.target_title.setText("select a target")
            return
        lo, hi = p.rig_profile.range_of(t)
        poses = [e.emotion for e in p.emotions.poses if any(n == t for n, _ in e.pose)]
        self.target_title.setText(f"{t}   range {lo:g}..{hi:g}" + (f"   posed by {', '.join(poses)}" if poses else "")
                                  + ("" if m else "   (no mapping: pose-only or unused)"))
        if m is None:
            self.sum_table.set_rows([])
            self.terms_table.setRowCount(0)
            return
        c = m.curve
        span = hi - lo
        self.gain_slider.setValue(round(min(max(c.gain, 0.0), GAIN_RANGE[1]) / GAIN_RANGE[1] * SLIDER_STEPS))
        self.offset_slider.setValue(round(c.offset / span * (SLIDER_STEPS // 2)))
        self.gain_spin.setValue(c.gain)
        self.offset_spin.setRange(-span, span)
        self.offset_spin.setValue(c.offset)
        self.gamma_spin.setValue(c.gamma)
        self.ease_combo.setCurrentText(c.ease)
        self.dead_zone_spin.setValue(c.dead_zone)
        for box in (self.clamp_lo, self.clamp_hi):
            box.setRange(lo, hi)
        self.clamp_check.setChecked(c.clamp is not None)
        self.clamp_lo.setValue(c.clamp[0] if c.clamp else lo)
        self.clamp_hi.setValue(c.clamp[1] if c.clamp else hi)
        self.clamp_lo.setEnabled(c.clamp is not None)
        self.clamp_hi.setEnabled(c.clamp is not None)
        self.sum_table.set_rows(m.sum)
        self.terms_table.setRowCount(0)
        for term in m.terms:
            r = self.terms_table.rowCount()
            self.terms_table.insertRow(r)
            for col, text in enumerate((term.op, _weights_text(term.sources), f"{term.weight:g}")):
                self.terms_table.setItem(r, col, QtWidgets.QTableWidgetItem(text))
        self.terms_table.setToolTip(f"op: {', '.join(TERM_OPS)}")

    # -- Emotions tab --------------------------------------------------------------------------------------
    def _emotion_tab(self) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        outer = QtWidgets.QVBoxLayout(page)
        settings = QtWidgets.QGroupBox("Emotion mode")
        form = QtWidgets.QFormLayout(settings)
        self.mode_combo = QtWidgets.QComboBox()
        self.mode_combo.addItems(EMOTION_MODES)
        self.hysteresis_spin = _spin(0.0, 0.99, 0.01)
        self.min_prob_spin = _spin(0.0, 1.0, 0.01)
        self.min_hold_spin = _spin(0.0, 60.0, 0.05)
        self.crossfade_spin = _spin(0.0, 60.0, 0.05)
        form.addRow("mode", self.mode_combo)
        form.addRow("hysteresis", self.hysteresis_spin)
        form.addRow("min probability", self.min_prob_spin)
        form.addRow("min hold (s)", self.min_hold_spin)
        form.addRow("cross-fade (s)", self.crossfade_spin)
        self.mode_combo.currentTextChanged.connect(lambda v: self._setting(mode=v))
        self.hysteresis_spin.valueChanged.connect(lambda v: self._setting(hysteresis=v))
        self.min_prob_spin.valueChanged.connect(lambda v: self._setting(min_probability=v))
        self.min_hold_spin.valueChanged.connect(lambda v: self._setting(min_hold_s=v))
        self.crossfade_spin.valueChanged.connect(lambda v: self._setting(crossfade_s=v))
        outer.addWidget(settings)
        pose_box = QtWidgets.QGroupBox("Emotion pose")
        pl = QtWidgets.QFormLayout(pose_box)
        erow = QtWidgets.QHBoxLayout()
        self.emotion_combo = QtWidgets.QComboBox()
        self.emotion_combo.currentTextChanged.connect(self._on_emotion_chosen)
        self.custom_name = QtWidgets.QLineEdit()
        self.custom_name.setPlaceholderText("custom emotion name")
        add_custom = QtWidgets.QPushButton("Add custom")
        add_custom.clicked.connect(self._add_custom)
        self.remove_pose_button = QtWidgets.QPushButton("Remove")
        self.remove_pose_button.clicked.connect(self._remove_pose)
        erow.addWidget(self.emotion_combo, 1)
        erow.addWidget(self.custom_name)
        erow.addWidget(add_custom)
        erow.addWidget(self.remove_pose_button)
        pl.addRow("emotion", erow)
        self.try_check = QtWidgets.QCheckBox("show this emotion on every frame (try the pose on any face)")
        self.try_check.setToolTip("overrides the tracker's emotion probabilities in the preview only (A and B); "
                                  "nothing is saved")
        self.try_check.toggled.connect(self._emit_try)
        pl.addRow("", self.try_check)
        self.blend_combo = QtWidgets.QComboBox()
        self.blend_combo.addItems(BLEND_MODES)
        self.blend_combo.currentTextChanged.connect(lambda v: self._pose(blend=v))
        pl.addRow("blend", self.blend_combo)
        self.pose_table = WeightsTable("target", "value", [])
        self.pose_table.changed.connect(self._on_pose_rows)
        pl.addRow("pose", self.pose_table)
        lrow = QtWidgets.QHBoxLayout()
        self.light_check = QtWidgets.QCheckBox("light cue")
        self.light_button = QtWidgets.QPushButton("colour…")
        self.light_button.clicked.connect(self._pick_colour)
        self.light_rgb = [_spin(0.0, 1.0, 0.05, 2) for _ in range(3)]
        self.light_intensity = _spin(0.0, 1.0, 0.05, 2)
        self.light_fade = _spin(0.0, 60.0, 0.1, 2)
        lrow.addWidget(self.light_check)
        lrow.addWidget(self.light_button)
        for label, box in zip("rgb", self.light_rgb, strict=True):
            lrow.addWidget(QtWidgets.QLabel(label))
            lrow.addWidget(box)
        pl.addRow("light", lrow)
        lrow2 = QtWidgets.QHBoxLayout()
        lrow2.addWidget(QtWidgets.QLabel("intensity"))
        lrow2.addWidget(self.light_intensity)
        lrow2.addWidget(QtWidgets.QLabel("fade (s)"))
        lrow2.addWidget(self.light_fade)
        lrow2.addStretch(1)
        pl.addRow("", lrow2)
        self.light_check.toggled.connect(self._on_light)
        for box in (*self.light_rgb, self.light_intensity, self.light_fade):
            box.valueChanged.connect(self._on_light)
        self.activation_table = WeightsTable("source", "weight", list(INPUT_NAMES))
        self.activation_table.changed.connect(self._on_activation)
        pl.addRow("activation", self.activation_table)
        outer.addWidget(pose_box)
        outer.addStretch(1)
        return page

    def _emit_try(self, *_args) -> None:
        emotion = self.current_emotion()
        self.try_emotion.emit(emotion if self.try_check.isChecked() and emotion in FER8 else None)

    def _setting(self, **fields) -> None:
        what = ", ".join(f"{k} {v}" for k, v in fields.items())
        self.edit(f"emotions: {what}", self.editor.set_emotion_settings, **fields)

    def _on_emotion_chosen(self, _text: str) -> None:
        if self._syncing:
            return
        self.refresh()
        if self.try_check.isChecked():
            self._emit_try()

    def current_emotion(self) -> str:
        return self.emotion_combo.currentText() or FER8[0]

    def _pose(self, **changes) -> None:
        emotion = self.current_emotion()
        what = ", ".join(changes)
        self.edit(f"emotions.{emotion}: {what}", self.editor.set_pose, emotion, **changes)

    def _on_pose_rows(self, rows) -> None:
        if self._syncing:
            return
        try:
            pose = rows_to_weights(rows)
        except ValueError as exc:
            self.show_problems(f"emotions.{self.current_emotion()}.pose", [str(exc)])
            return
        self._pose(pose=pose)

    def _on_activation(self, rows) -> None:
        if self._syncing:
            return
        try:
            act = rows_to_weights(rows)
        except ValueError as exc:
            self.show_problems(f"emotions.{self.current_emotion()}.activation", [str(exc)])
            return
        self._pose(activation=act)

    def _on_light(self, *_args) -> None:
        if self._syncing:
            return
        light = None
        if self.light_check.isChecked():
            r, g, b = (box.value() for box in self.light_rgb)
            light = LightCue(r, g, b, intensity=self.light_intensity.value(), transition_s=self.light_fade.value())
        self._pose(light=light)

    def _pick_colour(self) -> None:
        r, g, b = (box.value() for box in self.light_rgb)
        colour = QtWidgets.QColorDialog.getColor(QtGui.QColor.fromRgbF(r, g, b), self, "Light colour")
        if colour.isValid():
            self.set_light_colour(colour.redF(), colour.greenF(), colour.blueF())

    def set_light_colour(self, r: float, g: float, b: float) -> None:
        """Set the current emotion's light colour (one edit; turns the cue on)."""
        p = self.editor.pose_of(self.current_emotion())
        old = p.light if p is not None and p.light is not None else LightCue(1.0, 1.0, 1.0)
        self._pose(light=LightCue(round(r, 3), round(g, 3), round(b, 3), old.intensity, old.transition_s))

    def _add_custom(self) -> None:
        name = self.custom_name.text().strip()
        if not name:
            self.show_problems("add custom emotion", ["type a name first"])
            return
        if self.edit(f"add emotions.{name}", self.editor.set_pose, name, blend="max", activation={"valence": 1.0}):
            self.custom_name.clear()
            self.emotion_combo.setCurrentText(name)

    def _remove_pose(self) -> None:
        emotion = self.current_emotion()
        self.edit(f"remove emotions.{emotion}", self.editor.remove_pose, emotion)

    def _refresh_emotions(self) -> None:
        e = self.editor.preset.emotions
        self.mode_combo.setCurrentText(e.mode)
        self.hysteresis_spin.setValue(e.hysteresis)
        self.min_prob_spin.setValue(e.min_probability)
        self.min_hold_spin.setValue(e.min_hold_s)
        self.crossfade_spin.setValue(e.crossfade_s)
        for w in (self.hysteresis_spin, self.min_prob_spin, self.min_hold_spin, self.crossfade_spin):
            w.setEnabled(e.mode == "discrete")
        current = self.emotion_combo.currentText() or FER8[0]
        names = list(FER8) + [p.emotion for p in e.poses if p.emotion not in FER8]
        self.emotion_combo.clear()
        for name in names:
            has = self.editor.pose_of(name) is not None
            self.emotion_combo.addItem(name)
            if not has:
                self.emotion_combo.setItemData(self.emotion_combo.count() - 1, "no pose yet",
                                               QtCore.Qt.ItemDataRole.ToolTipRole)
        self.emotion_combo.setCurrentText(current if current in names else FER8[0])
        pose = self.editor.pose_of(self.current_emotion())
        self.remove_pose_button.setEnabled(pose is not None)
        self.blend_combo.setCurrentText(pose.blend if pose else "max")
        self.pose_table.completions = list(self.editor.preset.rig_profile.names)
        self.pose_table.set_rows(pose.pose if pose else ())
        light = pose.light if pose else None
        self.light_check.setChecked(light is not None)
        li = light or LightCue(1.0, 1.0, 1.0)
        for box, v in zip(self.light_rgb, (li.r, li.g, li.b), strict=True):
            box.setValue(v)
            box.setEnabled(light is not None)
        self.light_intensity.setValue(li.intensity)
        self.light_fade.setValue(li.transition_s)
        self.light_button.setStyleSheet(
            f"background: rgb({int(li.r * 255)},{int(li.g * 255)},{int(li.b * 255)})" if light else "")
        custom = self.current_emotion() not in FER8
        self.try_check.setEnabled(not custom)
        self.activation_table.setEnabled(custom)
        self.activation_table.set_rows(pose.activation if pose else ())
        self.activation_table.setToolTip("" if custom else "FER+ emotions take their probability from the tracker")

    # -- Eyes & file tab -----------------------------------------------------------------------------------
    def _options_tab(self) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        form = QtWidgets.QFormLayout(page)
        self.eyes_combo = QtWidgets.QComboBox()
        self.eyes_combo.addItems(EYE_MODES)
        self.eyes_combo.setToolTip("independent | link (average both eyes) | left_drives_both | right_drives_both")
        self.mirror_check = QtWidgets.QCheckBox("mirror (swap the subject's left and right)")
        self.eyes_combo.currentTextChanged.connect(
            lambda v: self.edit(f"eyes {v}", self.editor.set_options, eyes=v))
        self.mirror_check.toggled.connect(lambda v: self.edit(f"mirror {v}", self.editor.set_options, mirror=v))
        form.addRow("eyes", self.eyes_combo)
        form.addRow("", self.mirror_check)
        self.meta_edits: dict[str, QtWidgets.QLineEdit] = {}
        for field in ("name", "author", "version", "description"):
            line = QtWidgets.QLineEdit()
            line.editingFinished.connect(lambda f=field, w=line: self._on_meta(f, w.text()))
            form.addRow(field, line)
            self.meta_edits[field] = line
        self.rig_label = QtWidgets.QLabel()
        form.addRow("rig", self.rig_label)
        return page

    def _on_meta(self, field: str, text: str) -> None:
        if getattr(self.editor.preset.meta, field) != text:
            self.edit(f"{field} {text!r}", self.editor.set_meta, field, text)

    def _refresh_options(self) -> None:
        p = self.editor.preset
        self.eyes_combo.setCurrentText(p.eyes)
        self.mirror_check.setChecked(p.mirror)
        for field, line in self.meta_edits.items():
            line.setText(getattr(p.meta, field))
        self.rig_label.setText(f"{p.rig} (fixed: a preset targets one rig)")

    # -- refresh -------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Show the running (edited) preset's values in every widget."""
        if self._syncing:
            return
        self._syncing = True
        try:
            self._refresh_target()
            self._refresh_emotions()
            self._refresh_options()
        finally:
            self._syncing = False
