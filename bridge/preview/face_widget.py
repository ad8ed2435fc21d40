"""The schematic face (Qt): eyes with lids and irises, brows, nose, cheeks, jaw and mouth, drawn from FaceFeatures
on a backdrop in the emotion's light colour. One widget shows the edited preset (B), the original (A), or both
side by side (split) on the same frame."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6 import QtCore, QtGui, QtWidgets

from bridge.preview.face import FaceFeatures
from retarget import LightCue

SKIN = QtGui.QColor(236, 200, 170)
SKIN_SHADE = QtGui.QColor(205, 160, 130)
LINE = QtGui.QColor(60, 40, 35)
LIP = QtGui.QColor(190, 80, 85)
MOUTH_INSIDE = QtGui.QColor(70, 20, 30)
TONGUE = QtGui.QColor(225, 110, 120)
IRIS = QtGui.QColor(60, 110, 150)
NO_LIGHT = QtGui.QColor(58, 62, 70)
MODES = ("split", "B", "A")

# Feature regions in face units (x right, y down; the face spans about -1..1 by -1.2..1.3): for tests and
# for highlighting. The subject's LEFT eye is drawn on the RIGHT of the picture.
REGIONS: dict[str, tuple[float, float, float, float]] = {
    "eye_l": (0.12, -0.42, 0.56, 0.36), "eye_r": (-0.68, -0.42, 0.56, 0.36),
    "brow_l": (0.08, -0.78, 0.62, 0.36), "brow_r": (-0.70, -0.78, 0.62, 0.36),
    "mouth": (-0.55, 0.38, 1.10, 0.62), "cheek_l": (0.45, 0.05, 0.4, 0.35), "cheek_r": (-0.85, 0.05, 0.4, 0.35),
}  # fmt: skip


@dataclass(frozen=True)
class FaceImage:
    """What one face panel shows."""

    features: FaceFeatures
    light: LightCue | None
    title: str
    subtitle: str = ""


def backdrop_color(light: LightCue | None) -> QtGui.QColor:
    """The light cue as a backdrop: its colour scaled by intensity over a dark base (no cue: slate grey)."""
    if light is None:
        return NO_LIGHT
    k = 0.25 + 0.75 * light.intensity
    return QtGui.QColor.fromRgbF(min(light.r * k + 0.05, 1.0), min(light.g * k + 0.05, 1.0),
                                 min(light.b * k + 0.05, 1.0))


class _Face:
    """Draws one face in face units onto a painter already transformed to the face's box."""

    def __init__(self, p: QtGui.QPainter, f: FaceFeatures) -> None:
        self.p, self.f = p, f

    def pen(self, color: QtGui.QColor, width: float) -> QtGui.QPen:
        pen = QtGui.QPen(color, width)
        pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(QtCore.Qt.PenJoinStyle.RoundJoin)
        return pen

    def draw(self) -> None:
        self.head()
        for side, cx in (("L", 0.40), ("R", -0.40)):
            self.eye(side, cx)
            self.brow(side, cx)
            self.cheek(side, cx)
        self.nose()
        self.mouth()

    def head(self) -> None:
        f, p = self.f, self.p
        jaw = f.jaw_open
        chin_y = 1.12 + 0.22 * jaw
        chin_x = 0.12 * f.jaw_x * -1  # the subject's right is the picture's left
        puff = 0.10 * f.cheek_puff
        path = QtGui.QPainterPath()
        path.moveTo(0.0, -1.15)
        path.cubicTo(0.62, -1.15, 0.92, -0.75, 0.92, -0.15)
        path.cubicTo(0.92 + puff, 0.45, 0.55 + puff + chin_x * 0.5, chin_y - 0.05, chin_x, chin_y)
        path.cubicTo(-0.55 - puff + chin_x * 0.5, chin_y - 0.05, -0.92 - puff, 0.45, -0.92, -0.15)
        path.cubicTo(-0.92, -0.75, -0.62, -1.15, 0.0, -1.15)
        p.setPen(self.pen(LINE, 0.025))
        p.setBrush(SKIN)
        p.drawPath(path)
        # ears
        p.setBrush(SKIN_SHADE)
        for sx in (1, -1):
            p.drawEllipse(QtCore.QRectF(sx * 0.98 - 0.09, -0.32, 0.18, 0.36))

    def eye(self, side: str, cx: float) -> None:
        f, p = self.f, self.p
        blink = f.side("blink", side)
        wide, squint = f.side("wide", side), f.side("squint", side)
        cheek = f.side("cheek_squint", side)
        cy = -0.22
        w = 0.42
        h = 0.20 * (1.0 + 0.55 * wide - 0.25 * squint)
        rect = QtCore.QRectF(cx - w / 2, cy - h / 2, w, h)
        white = QtGui.QPainterPath()
        white.addEllipse(rect)
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        p.setBrush(QtGui.QColor(250, 250, 250))
        p.drawPath(white)
        p.save()
        p.setClipPath(white)
        gx = -f.side("gaze_x", side)  # toward the subject's right = the picture's left
        gy = -f.side("gaze_y", side)
        ir = 0.075
        p.setBrush(IRIS)
        p.drawEllipse(QtCore.QPointF(cx + gx * 0.13, cy + gy * 0.07), ir, ir)
        p.setBrush(QtGui.QColor(15, 15, 20))
        p.drawEllipse(QtCore.QPointF(cx + gx * 0.13, cy + gy * 0.07), ir * 0.45, ir * 0.45)
        # Upper lid comes down with blink (and a little with squint); lower lid rises with squint / cheek raise.
        upper = min(blink + 0.18 * squint, 1.0)
        lower = min(0.30 * squint + 0.25 * cheek, 1.0 - upper)
        p.setBrush(SKIN)
        p.drawRect(QtCore.QRectF(rect.left() - 0.01, rect.top() - 0.01, w + 0.02, h * upper + 0.01))
        p.drawRect(QtCore.QRectF(rect.left() - 0.01, rect.bottom() - h * lower, w + 0.02, h * lower + 0.02))
        p.restore()
        p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        p.setPen(self.pen(LINE, 0.02))
        p.drawEllipse(rect)
        lid_y = rect.top() + h * upper
        p.setPen(self.pen(LINE, 0.035))
        lid = QtGui.QPainterPath()
        lid.moveTo(rect.left(), cy if upper < 0.5 else lid_y)
        lid.quadTo(cx, lid_y - (0.0 if upper >= 0.99 else 0.02), rect.right(), cy if upper < 0.5 else lid_y)
        if upper > 0.02:
            p.drawPath(lid)

    def brow(self, side: str, cx: float) -> None:
        f, p = self.f, self.p
        inner_up, outer_up = f.side("brow_inner_up", side), f.side("brow_outer_up", side)
        down = f.side("brow_down", side)
        sign = 1.0 if cx > 0 else -1.0  # outward direction in the picture
        base = -0.50
        inner = QtCore.QPointF(cx - sign * (0.20 - 0.06 * down), base + 0.02 - 0.22 * inner_up + 0.20 * down)
        outer = QtCore.QPointF(cx + sign * 0.24, base + 0.04 - 0.20 * outer_up + 0.02 * down)
        mid = QtCore.QPointF(cx + sign * 0.02, base - 0.05 - 0.14 * (inner_up + outer_up) / 2 + 0.09 * down)
        path = QtGui.QPainterPath(inner)
        path.quadTo(mid, outer)
        p.setPen(self.pen(QtGui.QColor(80, 50, 35), 0.07))
        p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        p.drawPath(path)

    def cheek(self, side: str, cx: float) -> None:
        f, p = self.f, self.p
        k = max(f.side("cheek_squint", side), 0.6 * f.side("smile", side))
        if k <= 0.02:
            return
        color = QtGui.QColor(230, 110, 110, int(140 * k))
        p.setPen(QtCore.Qt.PenStyle.NoPen)
        p.setBrush(color)
        cy = 0.18 - 0.06 * k
        r = 0.13 + 0.04 * f.cheek_puff
        p.drawEllipse(QtCore.QPointF(cx * 1.4, cy), r * 1.3, r)

    def nose(self) -> None:
        f, p = self.f, self.p
        p.setPen(self.pen(SKIN_SHADE.darker(130), 0.03))
        p.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        path = QtGui.QPainterPath(QtCore.QPointF(0.0, -0.18))
        path.quadTo(0.05, 0.05, 0.0, 0.16)
        p.drawPath(path)
        for side, sx in (("L", 1.0), ("R", -1.0)):
            lift = 0.06 * f.side("sneer", side)
            wing = QtGui.QPainterPath(QtCore.QPointF(sx * 0.04, 0.18 - lift))
            wing.quadTo(sx * 0.14, 0.18 - lift, sx * 0.12, 0.08 - lift)
            p.drawPath(wing)

    def mouth(self) -> None:
        f, p = self.f, self.p
        jaw = f.jaw_open
        shift = -(0.10 * f.mouth_x + 0.06 * f.jaw_x)  # subject's right = picture's left
        cx, cy = shift, 0.55 + 0.06 * jaw
        round_ = max(f.funnel, f.pucker)
        press = min(max(f.press_l, f.press_r) + 0.5 * f.roll, 1.0)
        corners = {}
        for side, sx in (("L", 1.0), ("R", -1.0)):
            half = 0.30 * (1.0 + 0.35 * f.side("stretch", side) + 0.25 * f.side("smile", side)
                           - 0.45 * f.pucker - 0.30 * f.funnel)
            dy = -0.13 * f.side("smile", side) + 0.12 * f.side("frown", side)
            corners[side] = QtCore.QPointF(cx + sx * half, cy + dy)
        # Opening: jaw and lip shapes open it; mouthClose/press close the lips over an open jaw.
        lip_gap = jaw * 0.42 * (1.0 - 0.9 * f.mouth_close) + 0.08 * (f.lower_down_l + f.lower_down_r) / 2 \
            + 0.10 * f.funnel + 0.04 * f.pucker
        lip_gap *= 1.0 - 0.7 * press
        upper_lift = 0.07 * (f.upper_up_l + f.upper_up_r) / 2
        top_y = cy - 0.02 - upper_lift - 0.03 * round_
        bottom_y = cy + 0.02 + lip_gap + 0.03 * round_
        left, right = corners["R"], corners["L"]  # picture left/right
        inner = QtGui.QPainterPath(left)
        inner.cubicTo(QtCore.QPointF(left.x() * 0.5 + cx * 0.5, top_y), QtCore.QPointF(right.x() * 0.5 + cx * 0.5,
                      top_y), right)
        inner.cubicTo(QtCore.QPointF(right.x() * 0.5 + cx * 0.5, bottom_y),
                      QtCore.QPointF(left.x() * 0.5 + cx * 0.5, bottom_y), left)
        lip = 0.045 * (1.0 - 0.6 * f.roll) + 0.02 * round_
        p.setPen(self.pen(LIP, lip * 1.6))
        p.setBrush(MOUTH_INSIDE if lip_gap > 0.015 else LIP)
        p.drawPath(inner)
        if lip_gap > 0.06:  # teeth
            p.setPen(QtCore.Qt.PenStyle.NoPen)
            p.setBrush(QtGui.QColor(245, 245, 235))
            p.save()
            p.setClipPath(inner)
            p.drawRect(QtCore.QRectF(cx - 0.25, top_y - 0.05, 0.5, 0.05 + min(lip_gap * 0.25, 0.05)))
            p.restore()
        if f.tongue_out > 0.02:
            p.setPen(self.pen(LIP.darker(120), 0.015))
            p.setBrush(TONGUE)
            t = f.tongue_out
            p.drawEllipse(QtCore.QRectF(cx - 0.12, bottom_y - 0.08, 0.24, 0.10 + 0.22 * t))


def paint_face(p: QtGui.QPainter, box: QtCore.QRectF, image: FaceImage) -> None:
    """Draw one face panel (backdrop, face, captions) into ``box`` (widget coordinates)."""
    p.save()
    p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    p.fillRect(box, backdrop_color(image.light))
    center, s = face_transform(box)
    p.translate(center)
    p.scale(s, s)
    _Face(p, image.features).draw()
    p.restore()
    p.save()
    bg = backdrop_color(image.light)
    text = QtGui.QColor(20, 20, 20) if bg.lightnessF() > 0.55 else QtGui.QColor(240, 240, 240)
    p.setPen(text)
    font = p.font()
    font.setBold(True)
    font.setPointSizeF(10.5)
    p.setFont(font)
    p.drawText(box.adjusted(8, 6, -8, -6), QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop,
               image.title)
    font.setBold(False)
    font.setPointSizeF(9.0)
    p.setFont(font)
    p.drawText(box.adjusted(8, 6, -8, -6), QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignBottom,
               image.subtitle)
    # which side is which: the subject's left eye is on the picture's right
    p.drawText(box.adjusted(8, 6, -8, -6), QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignBottom,
               "subject's R | L")
    p.restore()


def face_transform(box: QtCore.QRectF) -> tuple[QtCore.QPointF, float]:
    """(where face unit (0, 0) goes, pixels per face unit) for a panel: the face (2.2 units wide, -1.2..1.4 tall
    with the jaw fully open) fits between the captions."""
    s = min(box.width() * 0.92 / 2.2, (box.height() - 40) / 2.6)
    return QtCore.QPointF(box.center().x(), box.center().y() - 0.1 * s), s


def region_rect(box: QtCore.QRectF, region: str) -> QtCore.QRect:
    """A named feature region (REGIONS) of the face drawn in panel ``box``, in widget pixels."""
    c, s = face_transform(box)
    x, y, w, h = REGIONS[region]
    return QtCore.QRectF(c.x() + x * s, c.y() + y * s, w * s, h * s).toAlignedRect()


class FaceView(QtWidgets.QWidget):
    """Shows the edited face (B), the original (A), or both side by side. ``set_faces`` per frame."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode = "split"
        self.a: FaceImage | None = None
        self.b: FaceImage | None = None
        self.setMinimumSize(320, 220)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Expanding)

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"face view mode must be one of {MODES}, got {mode!r}")
        self.mode = mode
        self.update()

    def set_faces(self, a: FaceImage | None, b: FaceImage | None) -> None:
        self.a, self.b = a, b
        self.update()

    def panels(self) -> list[tuple[QtCore.QRectF, FaceImage | None]]:
        """(panel rect, face) as currently laid out."""
        r = QtCore.QRectF(self.rect())
        if self.mode == "split":
            half = r.width() / 2
            return [(QtCore.QRectF(r.left(), r.top(), half - 2, r.height()), self.a),
                    (QtCore.QRectF(r.left() + half + 2, r.top(), half - 2, r.height()), self.b)]
        return [(r, self.b if self.mode == "B" else self.a)]

    def region(self, region: str, panel: int = -1) -> QtCore.QRect:
        """Pixel rect of a face region in one panel (default: the last, i.e. the edited face in split view)."""
        return region_rect(self.panels()[panel][0], region)

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt API name)
        p = QtGui.QPainter(self)
        try:
            p.fillRect(self.rect(), QtGui.QColor(30, 30, 34))
            for box, image in self.panels():
                if image is None:
                    p.fillRect(box, NO_LIGHT)
                    p.setPen(QtGui.QColor(220, 220, 220))
                    p.drawText(box, QtCore.Qt.AlignmentFlag.AlignCenter, "no frame yet")
                else:
                    paint_face(p, box, image)
        finally:
            p.end()
