"""Range-of-motion calibration per blendshape (REFA's RoM calibration), saved per user profile.

A model trained on synthetic faces rarely spans 0..1 on a real person: one user's "fully closed" reads 0.7, another's
resting brow reads 0.15. Per shape we learn the user's neutral floor (mean while the neutral reference is captured,
else the running minimum) and running maximum, and map floor..max onto 0..1. ``min_range`` caps the gain so a shape
the user has not moved yet is not blown up, and ``max_floor`` keeps a non-neutral capture from erasing a shape.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bridge.schema import BLENDSHAPE_NAMES, NUM_BLENDSHAPES
from bridge.textfile import TextFileError, read_text_limited, remove_stale_temp_files

PROFILE_VERSION = 1
MAX_PROFILE_BYTES = 1024 * 1024  # a profile is ~5 KB
_USER_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True, slots=True)
class RomConfig:
    """Range-of-motion calibration settings. Off by default (opt in per user)."""

    enabled: bool = False
    profile_dir: str = "~/.facebridge/profiles"
    user: str = "default"
    min_range: float = 0.5  # floor..max is never narrower than this (gain <= 1 / min_range)
    max_floor: float = 0.6  # a neutral floor above this is ignored (the user was not neutral)
    learn: bool = True  # keep widening min/max while running (False: use the loaded profile as is)

    def validate(self) -> None:
        """Raise ValueError naming the bad key."""
        if not _USER_RE.fullmatch(self.user):
            raise ValueError(f"rom.user {self.user!r} must be 1-64 letters, digits, '_', '.', '-' "
                             "(it names a file in rom.profile_dir)")
        if not (0 < self.min_range <= 1):
            raise ValueError(f"rom.min_range must be in (0, 1], got {self.min_range!r}")
        if not (0 <= self.max_floor < 1):
            raise ValueError(f"rom.max_floor must be in [0, 1), got {self.max_floor!r}")
        if not self.profile_dir:
            raise ValueError("rom.profile_dir must name a directory")

    def profile_path(self) -> Path:
        """The JSON file holding this user's calibration."""
        return Path(os.path.expanduser(self.profile_dir)) / f"{self.user}.json"


class RangeOfMotion:
    """Per-shape running min/max with a neutral floor; ``apply`` maps each shape's floor..max onto 0..1."""

    def __init__(self, config: RomConfig | None = None) -> None:
        self.config = config or RomConfig()
        self.config.validate()
        self.reset()

    def reset(self) -> None:
        """Forget everything learned (the profile file is untouched until the next save)."""
        self.running_min = np.full(NUM_BLENDSHAPES, np.inf)
        self.running_max = np.full(NUM_BLENDSHAPES, -np.inf)
        self._neutral_sum = np.zeros(NUM_BLENDSHAPES)
        self._neutral_count = np.zeros(NUM_BLENDSHAPES, np.int64)
        self._previous_floor = np.full(NUM_BLENDSHAPES, np.nan)
        self._bounds_cache: tuple[np.ndarray, np.ndarray] | None = None

    def begin_neutral_capture(self) -> None:
        """A new neutral capture starts (new session or recalibrate): its frames replace the floor, because the
        headset sits differently every time; until it has frames the previous floor stays in use."""
        current = self.neutral_floor
        self._previous_floor = np.where(np.isfinite(current), current, self._previous_floor)
        self._neutral_sum[:] = 0.0
        self._neutral_count[:] = 0
        self._bounds_cache = None

    def observe(self, values: np.ndarray, mask: np.ndarray | None = None, at_neutral: bool = False) -> None:
        """Learn from one frame of (filtered) shape values; ``mask`` selects trustworthy channels; ``at_neutral``
        marks frames inside the neutral capture window (they set the floor)."""
        v = np.asarray(values, np.float64)
        m = np.isfinite(v) if mask is None else (np.asarray(mask, bool) & np.isfinite(v))
        if not m.any():
            return
        vm = np.where(m, v, np.nan)
        with np.errstate(invalid="ignore"):
            self.running_min = np.fmin(self.running_min, vm)
            self.running_max = np.fmax(self.running_max, vm)
        if at_neutral:
            self._neutral_sum += np.where(m, v, 0.0)
            self._neutral_count += m
        self._bounds_cache = None

    @property
    def neutral_floor(self) -> np.ndarray:
        """Per-shape neutral mean of the current capture, else of the previous one (NaN where none was seen)."""
        return np.where(self._neutral_count > 0, self._neutral_sum / np.maximum(self._neutral_count, 1),
                        self._previous_floor)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """(lo, hi) per shape as used by ``apply``."""
        if self._bounds_cache is None:
            floor = self.neutral_floor
            lo = np.where(np.isfinite(floor), floor, np.where(np.isfinite(self.running_min), self.running_min, 0.0))
            lo = np.clip(lo, 0.0, None)
            lo = np.where(lo > self.config.max_floor, 0.0, lo)
            hi = np.maximum(np.where(np.isfinite(self.running_max), self.running_max, 0.0), lo + self.config.min_range)
            self._bounds_cache = (lo, hi)
        return self._bounds_cache

    def apply(self, values: np.ndarray) -> np.ndarray:
        """Calibrated values in 0..1."""
        lo, hi = self.bounds()
        return np.clip((np.asarray(values, np.float64) - lo) / (hi - lo), 0.0, 1.0)

    # --- persistence -------------------------------------------------------------------------------------------

    def to_dict(self) -> dict:
        """JSON-ready profile content (shapes keyed by name so the file survives reordering)."""
        floor = self.neutral_floor
        shapes = {}
        for i, name in enumerate(BLENDSHAPE_NAMES):
            entry = {}
            if np.isfinite(self.running_min[i]):
                entry["min"] = round(float(self.running_min[i]), 6)
                entry["max"] = round(float(self.running_max[i]), 6)
            if np.isfinite(floor[i]):
                entry["neutral"] = round(float(floor[i]), 6)
                entry["neutral_frames"] = int(self._neutral_count[i])
            if entry:
                shapes[name] = entry
        return {"version": PROFILE_VERSION, "user": self.config.user, "saved_at": time.time(), "shapes": shapes}

    def load_dict(self, data: object, source: str = "<profile>") -> None:
        """Replace the state with a profile dict; raises ValueError naming ``source`` and the bad key."""
        if not isinstance(data, dict):
            raise ValueError(f"{source}: expected a JSON object at the top level")
        if data.get("version") != PROFILE_VERSION:
            raise ValueError(f"{source}: key 'version' is {data.get('version')!r}; this FaceBridge reads version "
                             f"{PROFILE_VERSION} (reset the calibration to start a new profile)")
        shapes = data.get("shapes")
        if not isinstance(shapes, dict):
            raise ValueError(f"{source}: key 'shapes' must be an object of shape name -> {{min, max, neutral}}")
        self.reset()
        for name, entry in shapes.items():
            if name not in BLENDSHAPE_NAMES:
                raise ValueError(f"{source}: shapes.{name} is not one of the 52 ARKit blendshape names")
            if not isinstance(entry, dict):
                raise ValueError(f"{source}: shapes.{name} must be an object with min/max/neutral")
            i = BLENDSHAPE_NAMES.index(name)
            for key in entry:
                if key not in ("min", "max", "neutral", "neutral_frames"):
                    raise ValueError(f"{source}: shapes.{name}.{key} is not a known key "
                                     "(allowed: min, max, neutral, neutral_frames)")
            vals = {k: entry[k] for k in ("min", "max", "neutral") if k in entry}
            for key, v in vals.items():
                if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v) or not 0 <= v <= 1:
                    raise ValueError(f"{source}: shapes.{name}.{key} must be a number in 0..1, got {v!r}")
            if ("min" in vals) != ("max" in vals) or ("min" in vals and vals["min"] > vals["max"]):
                raise ValueError(f"{source}: shapes.{name} needs both min and max with min <= max")
            if "min" in vals:
                self.running_min[i] = vals["min"]
                self.running_max[i] = vals["max"]
            if "neutral" in vals:
                n = entry.get("neutral_frames", 1)
                n = n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else 1
                self._neutral_sum[i] = vals["neutral"] * n
                self._neutral_count[i] = n
        self._bounds_cache = None

    def save(self, path: Path | None = None) -> Path:
        """Write the profile atomically (temp file in the same directory, fsync, rename). Returns the path.

        A file that exists but cannot be read as a profile is kept beside it as ``<name>.corrupt-<time>`` instead of
        being overwritten, so no user data is ever lost.
        """
        path = Path(path) if path is not None else self.config.profile_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temp_files(path)
        if path.exists():
            try:
                RangeOfMotion(self.config).load_dict(_read_json(path), str(path))
            except (ValueError, OSError):
                path.replace(path.with_name(f"{path.name}.corrupt-{int(time.time())}"))
        text = json.dumps(self.to_dict(), indent=1, sort_keys=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        with contextlib.suppress(OSError):  # make the rename itself durable where the OS allows it
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        return path

    def load(self, path: Path | None = None) -> bool:
        """Load the profile if the file exists (False if it does not); raises ValueError naming the file and key
        for a corrupt or invalid file (the state is then empty)."""
        path = Path(path) if path is not None else self.config.profile_path()
        remove_stale_temp_files(path)
        if not path.exists():
            return False
        try:
            data = _read_json(path)
        except (OSError, ValueError) as exc:
            self.reset()
            detail = str(exc) if isinstance(exc, ValueError) else f"{path}: cannot read it ({exc.strerror or exc})"
            raise ValueError(f"{detail}; fix or delete this range-of-motion profile, or reset the calibration"
                             ) from None
        try:
            self.load_dict(data, str(path))
        except ValueError:
            self.reset()
            raise
        return True


def _read_json(path: Path) -> object:
    """The JSON value in ``path``; ValueError (one line, naming the file) for anything that is not a small JSON
    file: a FIFO or device, a huge file, bad UTF-8, bad JSON, or nesting deeper than the parser's recursion."""
    try:
        return json.loads(read_text_limited(path, MAX_PROFILE_BYTES))
    except TextFileError as exc:
        raise ValueError(str(exc)) from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON ({exc})") from None
    except RecursionError:
        raise ValueError(f"{path}: nested too deeply to be a range-of-motion profile") from None
