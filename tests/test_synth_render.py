"""Synthetic headset renderer: determinism, left/right correctness, monotonic responses, identities differ."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bridge.schema import BLENDSHAPE_INDEX, CAMERAS, NUM_BLENDSHAPES
from bridge.synth import HeadsetRenderer, Identity, SessionConditions, sample_identity, sample_session
from bridge.synth.expressions import expression_shapes

SIZE = (48, 48)


def _shapes(n: int = 1, **named: float) -> np.ndarray:
    s = np.zeros((n, NUM_BLENDSHAPES), np.float32)
    for name, v in named.items():
        s[:, BLENDSHAPE_INDEX[name]] = v
    return s


def _gaze(n: int = 1, yaw: float = 0.0, pitch: float = 0.0) -> np.ndarray:
    g = np.zeros((n, 2, 2), np.float32)
    g[..., 0], g[..., 1] = yaw, pitch
    return g


def _person(seed: int = 3) -> tuple[Identity, SessionConditions]:
    rng = np.random.default_rng(seed)
    ident = dataclasses.replace(sample_identity(rng), glasses=False)
    sess = sample_session(rng, ident)
    # A straight, centred headset with no lens intrusion: geometry checks read image coordinates directly.
    n = len(CAMERAS)
    sess = dataclasses.replace(sess, slip_shift=((0.0, 0.0),) * n, slip_rotation_deg=(0.0,) * n,
                               slip_scale=(1.0,) * n, slip_aspect=(1.0,) * n, slip_shear=(0.0,) * n,
                               intrusion=0.0, motion_blur_prob=0.0)
    return ident, sess


@pytest.fixture(scope="module")
def renderer() -> HeadsetRenderer:
    return HeadsetRenderer({v: SIZE for v in CAMERAS})


def test_render_batch_shapes_and_dtype(renderer):
    ident, sess = _person()
    out = renderer.render_batch(ident, sess, _shapes(3), _gaze(3), np.random.default_rng(0))
    assert set(out) == set(CAMERAS)
    for img in out.values():
        assert img.shape == (3,) + SIZE and img.dtype == np.uint8
        assert img.std() > 5  # not blank


def test_empty_batch(renderer):
    ident, sess = _person()
    out = renderer.render_batch(ident, sess, _shapes(0), _gaze(0), np.random.default_rng(0))
    assert all(img.shape == (0,) + SIZE for img in out.values())


def test_subset_of_views_and_non_square_sizes():
    r = HeadsetRenderer({"lower_face": (30, 40), "left_eye": (40, 32)})
    ident, sess = _person()
    out = r.render_batch(ident, sess, _shapes(2), _gaze(2), np.random.default_rng(0))
    assert set(out) == {"lower_face", "left_eye"}
    assert out["lower_face"].shape == (2, 30, 40) and out["left_eye"].shape == (2, 40, 32)


def test_deterministic_for_a_seed():
    def render(seed):
        rng = np.random.default_rng(seed)
        ident = sample_identity(rng)
        sess = sample_session(rng, ident)
        r = HeadsetRenderer({v: SIZE for v in CAMERAS})
        shapes = np.clip(rng.random((4, NUM_BLENDSHAPES), dtype=np.float32) * 0.5, 0, 1)
        return r.render_batch(ident, sess, shapes, _gaze(4, 10, -5), rng)

    a, b, c = render(11), render(11), render(12)
    for v in CAMERAS:
        np.testing.assert_array_equal(a[v], b[v])
        assert np.abs(a[v].astype(int) - c[v].astype(int)).mean() > 3, v


def test_identities_differ(renderer):
    rng = np.random.default_rng(5)
    imgs = []
    for _ in range(3):
        ident = sample_identity(rng)
        imgs.append(renderer.render_batch(ident, sample_session(rng, ident), _shapes(1), _gaze(1), rng))
    for v in CAMERAS:
        for i in range(3):
            for j in range(i + 1, 3):
                assert np.abs(imgs[i][v].astype(int) - imgs[j][v].astype(int)).mean() > 4, v


def test_left_blink_changes_only_the_left_eye_view(renderer):
    ident, sess = _person()
    open_ = renderer.render_batch(ident, sess, _shapes(1), _gaze(1), np.random.default_rng(1))
    closed = renderer.render_batch(ident, sess, _shapes(1, eyeBlinkLeft=1.0), _gaze(1), np.random.default_rng(1))
    assert np.abs(open_["left_eye"].astype(int) - closed["left_eye"].astype(int)).mean() > 3
    for v in ("right_eye", "mouth", "lower_face"):
        np.testing.assert_array_equal(open_[v], closed[v])
    closed_r = renderer.render_batch(ident, sess, _shapes(1, eyeBlinkRight=1.0), _gaze(1), np.random.default_rng(1))
    np.testing.assert_array_equal(open_["left_eye"], closed_r["left_eye"])
    assert np.abs(open_["right_eye"].astype(int) - closed_r["right_eye"].astype(int)).mean() > 3


def _dark_centroid_x(img: np.ndarray) -> float:
    """Column centroid of the darkest pixels (the pupil) inside the central region (away from the vignette)."""
    h, w = img.shape
    centre = img[h // 5 : 4 * h // 5, w // 5 : 4 * w // 5]
    dark = centre <= np.percentile(centre, 2)
    return float(np.nonzero(dark)[1].mean())


def _mouth_centroid_x(img: np.ndarray) -> float:
    """Column centroid of the darkest pixels (the open mouth) in the lower half of a face-aligned webcam crop."""
    h, w = img.shape
    lower = img[h // 2 : 9 * h // 10, w // 5 : 4 * w // 5]
    dark = lower <= np.percentile(lower, 3)
    return float(np.nonzero(dark)[1].mean())


def test_gaze_toward_subjects_right_moves_the_pupil_to_image_left_in_both_eyes():
    # yaw > 0 = looking toward the subject's own right, which is image LEFT for front-facing eye cameras.
    r = HeadsetRenderer({"left_eye": (96, 96), "right_eye": (96, 96)})
    ident, sess = _person()
    for view in ("left_eye", "right_eye"):
        right = r.render_canvas(ident, sess, view, _shapes(1), _gaze(1, yaw=25.0))[0]
        left = r.render_canvas(ident, sess, view, _shapes(1), _gaze(1, yaw=-25.0))[0]
        if view == "left_eye":  # canvases are canonical (nasal side at +x): the left eye is mirrored on output
            right, left = right[:, ::-1], left[:, ::-1]
        assert _dark_centroid_x(right) < _dark_centroid_x(left) - 5, view
    out_r = r.render_batch(ident, sess, _shapes(1), _gaze(1, yaw=25.0), np.random.default_rng(0))
    out_l = r.render_batch(ident, sess, _shapes(1), _gaze(1, yaw=-25.0), np.random.default_rng(0))
    for view in ("left_eye", "right_eye"):
        assert _dark_centroid_x(out_r[view][0]) < _dark_centroid_x(out_l[view][0]) - 5, view


def test_webcam_sees_the_head_turn_with_gaze_but_headset_cameras_do_not():
    r = HeadsetRenderer({"lower_face": (96, 96), "mouth": (96, 96)})
    ident, sess = _person()
    shapes = _shapes(1, jawOpen=0.7)
    right = r.render_batch(ident, sess, shapes, _gaze(1, yaw=30.0), np.random.default_rng(0))
    left = r.render_batch(ident, sess, shapes, _gaze(1, yaw=-30.0), np.random.default_rng(0))
    # turning toward the subject's right moves the face (and its open mouth) toward image left; the webcam view is a
    # face-aligned crop whose upper half is the headset, so look for the mouth in the lower half
    assert _mouth_centroid_x(right["lower_face"][0]) < _mouth_centroid_x(left["lower_face"][0]) - 2
    np.testing.assert_array_equal(right["mouth"], left["mouth"])  # the mouth camera rides on the headset


def test_left_eye_image_is_not_mirrored():
    # The nose (inner corner, caruncle side) of the subject's left eye is on image LEFT in its own camera,
    # and on image RIGHT for the right eye: brows are thicker at the nasal end, so compare brow darkness.
    r = HeadsetRenderer({"left_eye": (96, 96), "right_eye": (96, 96)})
    ident, sess = _person()
    for view, nasal_left in (("left_eye", True), ("right_eye", False)):
        base = r.render_batch(ident, sess, _shapes(1), _gaze(1), np.random.default_rng(0))[view][0].astype(float)
        inner = r.render_batch(ident, sess, _shapes(1, browInnerUp=1.0), _gaze(1), np.random.default_rng(0))
        diff = np.abs(inner[view][0].astype(float) - base)
        half = diff.shape[1] // 2
        left_half, right_half = diff[:, :half].sum(), diff[:, half:].sum()
        assert (left_half > right_half) == nasal_left, view


def _eye_area(r, ident, sess, view, blink_name, values) -> list[float]:
    closed = r.render_canvas(ident, sess, view, _shapes(1, **{blink_name: 1.0}), _gaze(1))[0]
    areas = []
    for v in values:
        img = r.render_canvas(ident, sess, view, _shapes(1, **{blink_name: v}), _gaze(1))[0]
        areas.append(float((np.abs(img - closed) > 0.03).sum()))
    return areas


def test_more_blink_means_less_visible_eye():
    r = HeadsetRenderer({"left_eye": (64, 64), "right_eye": (64, 64)})
    ident, sess = _person()
    values = [0.0, 0.25, 0.5, 0.75, 0.95]
    for view, name in (("left_eye", "eyeBlinkLeft"), ("right_eye", "eyeBlinkRight")):
        areas = _eye_area(r, ident, sess, view, name, values)
        assert all(a > b for a, b in zip(areas, areas[1:], strict=False)), (view, areas)
        assert areas[0] > 100


def _mouth_open_area(r, ident, sess, view, jaw: float) -> tuple[float, float]:
    """(pixels changed vs. the closed mouth, pixels as dark as the mouth cavity) around the mouth."""
    closed = r.render_canvas(ident, sess, view, _shapes(1), _gaze(1))[0]
    img = r.render_canvas(ident, sess, view, _shapes(1, jawOpen=jaw), _gaze(1))[0]
    h, w = img.shape
    cols = slice(w // 4, 3 * w // 4)  # the central strip: lips, opening and chin all move down with the jaw
    changed = np.abs(img - closed)[:, cols] > 0.05
    # Cavity-dark pixels between the nose and the closed chin (below it: the shadowed neck/background).
    dark_closed = closed[:, cols] < 0.35 * np.median(closed[:, cols])
    cavity = (img[:, cols] < 0.35 * np.median(closed[:, cols])) & ~dark_closed
    return float(changed.sum()), float(cavity.sum())


@pytest.mark.parametrize("view", ["mouth", "lower_face"])
@pytest.mark.parametrize("seed", [3, 8])
def test_more_jaw_open_means_more_open_mouth(view, seed):
    r = HeadsetRenderer({view: (64, 64)})
    ident, sess = _person(seed)
    areas = [_mouth_open_area(r, ident, sess, view, j) for j in (0.0, 0.25, 0.5, 0.75, 1.0)]
    changed = [a[0] for a in areas]
    cavity = [a[1] for a in areas]
    assert changed[0] == 0
    assert all(a < b for a, b in zip(changed, changed[1:], strict=False)), changed
    assert cavity[0] == 0 and cavity[-1] > 20, cavity


def test_left_smile_raises_the_image_right_mouth_corner():
    r = HeadsetRenderer({"mouth": (96, 96)})
    ident, sess = _person()
    base = r.render_canvas(ident, sess, "mouth", _shapes(1, jawOpen=0.3), _gaze(1))[0]
    smile = r.render_canvas(ident, sess, "mouth", _shapes(1, jawOpen=0.3, mouthSmileLeft=1.0), _gaze(1))[0]
    diff = np.abs(smile - base)
    half = diff.shape[1] // 2
    assert diff[:, half:].sum() > 2.0 * diff[:, :half].sum()


def test_expressions_change_the_views_they_should(renderer):
    ident, sess = _person()
    rng_seed = 4
    neutral = renderer.render_batch(ident, sess, _shapes(1), _gaze(1), np.random.default_rng(rng_seed))
    surprise = renderer.render_batch(ident, sess, expression_shapes("surprise")[None], _gaze(1),
                                     np.random.default_rng(rng_seed))
    for v in CAMERAS:
        assert np.abs(neutral[v].astype(int) - surprise[v].astype(int)).mean() > 1.0, v


def test_bad_inputs_give_clear_errors(renderer):
    ident, sess = _person()
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"shapes must be \(B, 52\)"):
        renderer.render_batch(ident, sess, np.zeros((2, 51)), _gaze(2), rng)
    with pytest.raises(ValueError, match="gaze must be"):
        renderer.render_batch(ident, sess, _shapes(2), np.zeros((2, 2)), rng)
    with pytest.raises(ValueError, match="finite"):
        renderer.render_batch(ident, sess, _shapes(1) * np.nan, _gaze(1), rng)
    with pytest.raises(ValueError, match="unknown camera view 'nose'"):
        HeadsetRenderer({"nose": (64, 64)})
    with pytest.raises(ValueError, match="out of range"):
        HeadsetRenderer({"mouth": (4, 64)})
    with pytest.raises(TypeError):
        sample_identity(42)
