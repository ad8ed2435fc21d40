using System;

namespace FaceBridge.Core
{
    /// <summary>
    /// Frame-rate independent exponential smoothing of a value array: after <c>timeConstant</c> seconds the
    /// output covered 63% of a step. timeConstant 0 passes values through. Allocates only when the size grows.
    /// </summary>
    public sealed class ExponentialSmoother
    {
        float[] _state = new float[0];
        int _count = -1;

        /// <summary>The smoothed values (first <c>count</c> entries of the last Step).</summary>
        public float[] Values { get { return _state; } }

        /// <summary>Forget the state: the next Step snaps to its input.</summary>
        public void Reset() { _count = -1; }

        /// <summary>Advance by <paramref name="deltaSeconds"/> toward <paramref name="target"/>[0..count).</summary>
        public float[] Step(float[] target, int count, float deltaSeconds, float timeConstant)
        {
            if (_state.Length < count) Array.Resize(ref _state, count);
            if (count != _count || timeConstant <= 0f || deltaSeconds < 0f)
            {
                Array.Copy(target, _state, count); // first frame or rig changed: no sweep from stale values
                _count = count;
                return _state;
            }
            float alpha = 1f - (float)Math.Exp(-deltaSeconds / timeConstant);
            for (int i = 0; i < count; i++) _state[i] += (target[i] - _state[i]) * alpha;
            return _state;
        }
    }

    /// <summary>
    /// A colour + intensity that follows light cues with smooth (smoothstep) transitions over each cue's
    /// transition time. A new cue starts from wherever the light currently is, so nothing jumps.
    /// </summary>
    public sealed class LightTransition
    {
        LightCue _from, _to, _current;
        float _duration, _elapsed;
        bool _hasTarget;

        public LightTransition(LightCue initial)
        {
            _from = _to = _current = initial;
        }

        /// <summary>The light right now.</summary>
        public LightCue Current { get { return _current; } }

        /// <summary>The cue being approached.</summary>
        public LightCue Target { get { return _to; } }

        /// <summary>Start moving toward a new cue (ignored when it equals the current target).</summary>
        public void SetTarget(LightCue cue)
        {
            if (_hasTarget && Same(cue, _to)) return;
            _hasTarget = true;
            _from = _current;
            _to = cue;
            _duration = Math.Max(0f, cue.TransitionSeconds);
            _elapsed = 0f;
            if (_duration <= 0f) _current = _to;
        }

        static bool Same(LightCue a, LightCue b)
        {
            return a.R == b.R && a.G == b.G && a.B == b.B && a.Intensity == b.Intensity;
        }

        /// <summary>Advance time; returns the current light.</summary>
        public LightCue Step(float deltaSeconds)
        {
            if (_duration <= 0f || _elapsed >= _duration) { _current = _to; return _current; }
            _elapsed = Math.Min(_duration, _elapsed + Math.Max(0f, deltaSeconds));
            float t = _elapsed / _duration;
            t = t * t * (3f - 2f * t);
            _current.R = _from.R + (_to.R - _from.R) * t;
            _current.G = _from.G + (_to.G - _from.G) * t;
            _current.B = _from.B + (_to.B - _from.B) * t;
            _current.Intensity = _from.Intensity + (_to.Intensity - _from.Intensity) * t;
            _current.TransitionSeconds = _to.TransitionSeconds;
            return _current;
        }
    }

    /// <summary>
    /// Debounced enter/exit of one emotion: it enters after its probability stayed at or above
    /// <see cref="Threshold"/> for <see cref="MinHoldSeconds"/>, and exits after it stayed below
    /// Threshold - Hysteresis for MinHoldSeconds. Flicker shorter than the hold never fires events.
    /// </summary>
    public sealed class EmotionStateTracker
    {
        public float Threshold = 0.5f;
        public float Hysteresis = 0.1f;
        public float MinHoldSeconds = 0.3f;

        float _candidateTime;

        /// <summary>True while the emotion is considered active.</summary>
        public bool Active { get; private set; }

        public void Reset() { Active = false; _candidateTime = 0f; }

        /// <summary>Feed the emotion's probability; returns +1 on enter, -1 on exit, 0 otherwise.</summary>
        public int Update(float probability, float deltaSeconds)
        {
            bool wantsChange = Active ? probability < Threshold - Hysteresis : probability >= Threshold;
            if (!wantsChange) { _candidateTime = 0f; return 0; }
            _candidateTime += Math.Max(0f, deltaSeconds);
            if (_candidateTime < MinHoldSeconds) return 0;
            _candidateTime = 0f;
            Active = !Active;
            return Active ? 1 : -1;
        }
    }
}

namespace FaceBridge.Core
{
    /// <summary>
    /// How much of the tracked face to show while the sender is gone: 1 while connected; after a disconnect it
    /// falls to 0 over the ease time (smoothstep), so the avatar relaxes to neutral instead of freezing mid-blink.
    /// Reconnecting snaps back to 1 (fresh data is the truth).
    /// </summary>
    public sealed class NeutralEase
    {
        float _linear = 1f;

        /// <summary>The current weight of the tracked values (0 = neutral).</summary>
        public float Weight { get; private set; }

        /// <summary>True once fully eased to neutral while disconnected (drivers then stop writing).</summary>
        public bool AtNeutral { get { return _linear <= 0f; } }

        public NeutralEase() { Weight = 1f; }

        /// <summary>Advance one rendered frame; returns <see cref="Weight"/>.</summary>
        public float Step(bool connected, float deltaSeconds, float easeSeconds)
        {
            if (connected) _linear = 1f;
            else if (easeSeconds <= 0f) _linear = 0f;
            else _linear = Math.Max(0f, _linear - Math.Max(0f, deltaSeconds) / easeSeconds);
            Weight = _linear * _linear * (3f - 2f * _linear);
            return Weight;
        }

        public void Reset() { _linear = 1f; Weight = 1f; }
    }
}
