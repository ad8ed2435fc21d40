"""`eval --real` on class folders of face photos: each photo is framed like the webcam layout frames a face."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from bridge.cli import main as cli
from bridge.evaluation import face_framing as ff
from bridge.inference.preprocess import face_aligned_crop


def _bright_box_detector(gray: np.ndarray) -> list[tuple[float, float, float, float]]:
    """Stand-in face detector: the bounding box of the pixels brighter than 200 (the test's 'face')."""
    ys, xs = np.nonzero(gray > 200)
    if not len(xs):
        return []
    return [(float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1))]


def _photo(face_xywh: tuple[int, int, int, int], shape=(240, 320), mouth_row: int = 30) -> np.ndarray:
    """A dark photo with a bright square 'face' (a dark mouth bar in it) at ``face_xywh``."""
    img = np.full(shape, 40, np.uint8)
    x, y, w, h = face_xywh
    img[y:y + h, x:x + w] = 230
    img[y + mouth_row * h // 48, x + w // 4:x + 3 * w // 4] = 90
    return img


def test_a_whole_photo_is_cut_around_the_detected_face_like_the_webcam_layout():
    photo = _photo((150, 60, 64, 64))
    framed, how = ff.frame_face(photo, _bright_box_detector)
    assert how == ff.DETECTED
    np.testing.assert_array_equal(framed, face_aligned_crop(photo, (150, 60, 64, 64)))


def test_a_face_crop_a_faceless_image_and_as_given_are_left_alone():
    crop = _photo((2, 2, 44, 44), shape=(48, 48))  # the face fills the image: already FER-framed
    framed, how = ff.frame_face(crop, _bright_box_detector)
    assert how == ff.ALREADY and framed is crop
    blank = np.full((240, 320), 40, np.uint8)  # e.g. a lower half whose upper half is blacked out: no face
    assert ff.frame_face(blank, _bright_box_detector) == (blank, ff.NO_FACE)
    photo = _photo((150, 60, 64, 64))
    assert ff.frame_face(photo, _bright_box_detector, "as-given") == (photo, ff.GIVEN)
    # "detect" crops even an image that already is a face crop
    assert ff.frame_face(crop, _bright_box_detector, "detect")[1] == ff.DETECTED
    with pytest.raises(ValueError, match="framing must be one of"):
        ff.frame_face(photo, _bright_box_detector, "centre")


def test_a_tiny_hit_is_not_taken_for_the_face_and_the_search_sees_a_face_at_the_border():
    speck = _photo((10, 10, 4, 4))  # FER square ~4 px in a 240 px image: a false hit
    assert ff.frame_face(speck, _bright_box_detector)[1] == ff.NO_FACE
    # boxes come back in the image's own pixels despite the padded search
    edge = _photo((5, 100, 80, 80))
    assert ff.largest_face(edge, _bright_box_detector) == (5.0, 100.0, 80.0, 80.0)


def test_the_project_detector_runs_on_a_padded_colour_photo_without_a_face():
    from bridge.sources.face_detector import open_face_detector

    colour = np.zeros((120, 160, 3), np.uint8)
    assert ff.frame_face(colour, open_face_detector())[1] == ff.NO_FACE


def test_eval_real_frames_class_folder_photos_and_scores_seven_emotions(tmp_path: Path, monkeypatch):
    import bridge.evaluation.real as real

    monkeypatch.setattr(real, "_face_detector", lambda: _bright_box_detector)
    folders = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")  # a lab set's 7 emotions
    rng = np.random.default_rng(5)
    for name in folders:
        (tmp_path / "posed" / name).mkdir(parents=True)
        for i in range(2):
            x, y = (int(v) for v in rng.integers(20, 120, 2))
            cv2.imwrite(str(tmp_path / "posed" / name / f"{i}.png"), _photo((x + 60, y, 80, 80)))
    cv2.imwrite(str(tmp_path / "posed" / "neutral" / "crop.png"), _photo((2, 2, 44, 44), shape=(48, 48)))
    (tmp_path / "posed" / "happy" / "broken.jpg").write_bytes(b"not a jpeg")
    out = tmp_path / "r"
    assert cli(["eval", "--real", str(tmp_path / "posed"), "--out", str(out)]) == 0
    s = json.loads((out / "report.json").read_text())["sets"]["posed"]
    assert s["framing"] == {ff.DETECTED: 14, ff.ALREADY: 1} and s["unreadable_files_skipped"] == 1
    f8 = s["fer8"]
    assert f8["images"] == 15 and "contempt" not in f8["classes_present"]
    assert f8["accuracy_among_present_classes"] >= f8["accuracy"]  # a 'contempt' answer is always wrong
    md = (out / "report.md").read_text()
    assert "framed from the detected face: 14" in md and "Unreadable image files skipped: 1" in md
    assert cli(["eval", "--real", str(tmp_path / "posed"), "--framing", "as-given", "--out", str(out)]) == 0
    assert json.loads((out / "report.json").read_text())["sets"]["posed"]["framing"] == {ff.GIVEN: 15}
