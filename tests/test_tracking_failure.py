"""Frame statistics (assess_frames) and per-region failure detection."""

import cv2
import numpy as np
import pytest

from bridge.frames import FrameSet
from bridge.schema import REGIONS, TrackingFlags
from bridge.tracking.failure import FailureConfig, FailureDetector
from bridge.tracking.quality import FrameQuality, assess_frames, assess_view

RNG = np.random.default_rng(7)


def eye_image(rng: np.random.Generator, brightness: float = 1.0, size: int = 120) -> np.ndarray:
    """A crude IR eye: bright skin, darker iris disc, black pupil, plus sensor noise (so frames differ)."""
    yy, xx = np.mgrid[0:size, 0:size]
    r = np.hypot(yy - size / 2, xx - size / 2)
    img = np.full((size, size), 190.0)
    img[r < size * 0.25] = 110.0
    img[r < size * 0.1] = 15.0
    img = img * brightness + rng.normal(0, 4, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def test_assess_view_matches_numpy_on_full_sample():
    img = RNG.integers(0, 256, (50, 60), dtype=np.uint8)
    q = assess_view(img, max_samples=10_000)  # step 1: every pixel looked at
    assert q.mean == pytest.approx(img.mean())
    for p, got in ((5, q.p05), (50, q.p50), (95, q.p95)):
        assert abs(got - np.percentile(img, p, method="inverted_cdf")) <= 1
    assert q.saturated == pytest.approx((img >= 250).mean())
    assert q.contrast == q.p95 - q.p05


def test_assess_view_subsamples_large_images():
    img = eye_image(RNG, size=400)
    q = assess_view(img)
    assert abs(q.mean - img.mean()) < 3.0
    assert q.texture > 1.0
    flat = assess_view(np.full((400, 400), 128, np.uint8))
    assert flat.texture == 0.0 and flat.contrast == 0.0
    with pytest.raises(ValueError, match="2-D uint8"):
        assess_view(np.zeros((4, 4), np.float32))


def test_assess_frames_covers_every_view_and_fingerprints_differ_with_noise():
    fs = FrameSet(images={"left_eye": eye_image(RNG), "mouth": eye_image(RNG)}, capture_time=12.5, sequence=3)
    q = assess_frames(fs)
    assert q.capture_time == 12.5 and set(q.views) == {"left_eye", "mouth"}
    again = assess_frames(FrameSet(images={"left_eye": eye_image(RNG)}, capture_time=12.6, sequence=4))
    assert again.views["left_eye"].fingerprint != q.views["left_eye"].fingerprint


def run(detector, images_per_frame, t0=0.0, rate=60.0, confidence=None):
    statuses = []
    for k, images in enumerate(images_per_frame):
        t = t0 + k / rate
        q = FrameQuality(t, {v: assess_view(img) for v, img in images.items()})
        statuses.append(detector.update(q, confidence or {}, t))
    return statuses


def test_healthy_cameras_are_ok_and_fade_in():
    det = FailureDetector()
    sts = run(det, [{"left_eye": eye_image(RNG), "right_eye": eye_image(RNG)} for _ in range(60)])
    assert all(s.flags == TrackingFlags.OK for s in sts)
    assert sts[0].weight[REGIONS.index("left_eye")] == 0.0  # first frame: fading in, not popping
    assert sts[-1].weight[REGIONS.index("left_eye")] == 1.0
    assert sts[-1].confidence[REGIONS.index("left_eye")] == 1.0
    assert sts[-1].confidence[REGIONS.index("mouth")] == 0.0  # never seen: no information
    assert not sts[-1].seen[REGIONS.index("mouth")]


def test_dark_and_bright_detection():
    det = FailureDetector()
    sts = run(det, [{"left_eye": eye_image(RNG, 0.05)}] * 3)
    assert TrackingFlags.TOO_DARK in sts[-1].flags
    assert sts[-1].confidence[0] == 0.0 and "TOO_DARK" in sts[-1].reasons["left_eye"]
    det = FailureDetector()
    bright = [{"left_eye": np.clip(eye_image(RNG).astype(int) + 200, 0, 255).astype(np.uint8)}]
    assert TrackingFlags.TOO_BRIGHT in run(det, bright)[-1].flags
    det = FailureDetector()
    assert run(det, [{"left_eye": eye_image(RNG)}])[-1].flags == TrackingFlags.OK


def test_featureless_image_means_eye_out_of_view_and_mouth_low_confidence():
    det = FailureDetector()
    grey = np.clip(128 + RNG.normal(0, 0.3, (100, 100)), 0, 255).astype(np.uint8)
    st = run(det, [{"left_eye": grey, "mouth": grey}])[-1]
    assert TrackingFlags.EYE_OUT_OF_VIEW in st.flags
    assert st.reasons["mouth"] == ("LOW_CONFIDENCE",)
    assert TrackingFlags.TOO_DARK not in st.flags


def test_frozen_after_n_identical_frames_only():
    cfg = FailureConfig(frozen_frames=10)
    same = eye_image(RNG)
    det = FailureDetector(cfg)
    sts = run(det, [{"left_eye": same}] * 12)
    frozen = [TrackingFlags.CAMERA_FROZEN in s.flags for s in sts]
    assert frozen == [False] * 9 + [True] * 3
    # a live camera (new noise every frame) never counts as frozen
    det = FailureDetector(cfg)
    assert not any(TrackingFlags.CAMERA_FROZEN in s.flags for s in run(det, [{"left_eye": eye_image(RNG)}
                                                                              for _ in range(30)]))
    # recovery: the first new image clears the flag
    sts = run(FailureDetector(cfg), [{"left_eye": same}] * 12 + [{"left_eye": eye_image(RNG)}])
    assert TrackingFlags.CAMERA_FROZEN not in sts[-1].flags


def test_frozen_detected_in_a_real_video_file(tmp_path):
    """A camera stream that stalls (same frame re-sent), written to and read back from a real MJPG AVI."""
    path = str(tmp_path / "stall.avi")
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (120, 120), isColor=False)
    assert writer.isOpened()
    live = [eye_image(RNG) for _ in range(8)]
    for img in live + [live[-1]] * 14:
        writer.write(img)
    writer.release()
    cap = cv2.VideoCapture(path)
    det = FailureDetector(FailureConfig(frozen_frames=10))
    flags = []
    k = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
        fs = FrameSet(images={"left_eye": gray}, capture_time=k / 30.0, sequence=k)
        flags.append(det.update(assess_frames(fs), {}, k / 30.0).flags)
        k += 1
    cap.release()
    assert k == 22
    frozen = [TrackingFlags.CAMERA_FROZEN in f for f in flags]
    assert not any(frozen[:16]) and all(frozen[16:])  # 10 identical decoded frames from index 7 -> flagged at 16


def test_camera_lost_after_timeout_and_brief_gaps_tolerated():
    det = FailureDetector(FailureConfig(lost_after_s=0.5))
    t = 0.0
    for _ in range(10):
        det.update(FrameQuality(t, {"mouth": assess_view(eye_image(RNG))}), {}, t)
        t += 1 / 60
    gap = det.update(FrameQuality(t, {}), {"mouth": 0.0}, t)  # models report 0 for an absent view
    assert gap.flags == TrackingFlags.OK and gap.confidence[REGIONS.index("mouth")] == 1.0  # a brief gap: fine
    st = det.update(FrameQuality(t + 0.6, {}), {}, t + 0.6)
    assert TrackingFlags.CAMERA_LOST in st.flags and st.confidence[REGIONS.index("mouth")] == 0.0
    st = det.update(FrameQuality(t + 0.62, {"mouth": assess_view(eye_image(RNG))}), {}, t + 0.62)
    assert TrackingFlags.CAMERA_LOST not in st.flags


def test_expected_view_that_never_arrives_is_lost():
    det = FailureDetector(FailureConfig(expected_views=("right_eye",), lost_after_s=0.2))
    assert det.update(FrameQuality.empty(0.0), {}, 0.0).flags == TrackingFlags.OK
    assert TrackingFlags.CAMERA_LOST in det.update(FrameQuality.empty(0.3), {}, 0.3).flags


def test_low_model_confidence_drops_confidence():
    det = FailureDetector(FailureConfig(low_confidence=0.4))
    st = run(det, [{"left_eye": eye_image(RNG)}], confidence={"left_eye": 0.2})[-1]
    assert TrackingFlags.LOW_CONFIDENCE in st.flags and st.confidence[0] == 0.0
    st = run(det, [{"left_eye": eye_image(RNG)}], t0=1.0, confidence={"left_eye": 0.8})[-1]
    assert st.flags == TrackingFlags.OK and st.confidence[0] == pytest.approx(0.8)


def test_ease_weight_holds_then_fades_then_recovers():
    cfg = FailureConfig(ease_after_s=0.5, ease_duration_s=0.5, recover_after_s=0.1, recover_duration_s=0.2)
    det = FailureDetector(cfg)
    good = [{"left_eye": eye_image(RNG)} for _ in range(60)]
    dark = [{"left_eye": eye_image(RNG, 0.05)} for _ in range(90)]
    sts = run(det, good + dark + good)
    w = np.array([s.weight[0] for s in sts])
    assert w[59] == 1.0
    assert np.all(w[60:60 + 29] == 1.0)  # held during the first 0.5 s of failure (glitches stay invisible)
    assert np.all(np.diff(w[60:150]) <= 0) and w[149] == 0.0  # then a monotonic fade to fully neutral
    assert np.count_nonzero((w[60:150] > 0) & (w[60:150] < 1)) >= 20  # smooth, over many frames
    assert TrackingFlags.EASING_TO_NEUTRAL in sts[100].flags
    assert w[-1] == 1.0 and sts[-1].flags == TrackingFlags.OK  # automatic recovery


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"frozen_frames": 1}, "failure.frozen_frames"),
        ({"dark_mean": 300.0}, "failure.dark_mean"),
        ({"ease_duration_s": 0.0}, "failure.ease_duration_s"),
        ({"low_confidence": 2.0}, "failure.low_confidence"),
        ({"expected_views": ("nose",)}, "failure.expected_views"),
    ],
)
def test_failure_config_errors_name_the_key(kwargs, key):
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        FailureConfig(**kwargs).validate()
