using System;
using System.Collections.Generic;
using UnityEngine;

namespace FaceBridge
{
    /// <summary>One recorded curve: the blendshape <see cref="ShapeName"/> of the renderer at <see cref="Path"/>.</summary>
    public sealed class RecordedCurve
    {
        /// <summary>Transform path from the recording root to the renderer ("" = the root itself), as AnimationClips use.</summary>
        public string Path;
        public string ShapeName;
        /// <summary>The AnimationClip property: "blendShape." + ShapeName.</summary>
        public string PropertyName { get { return "blendShape." + ShapeName; } }
        public readonly AnimationCurve Curve = new AnimationCurve();

        internal float LastKeyValue = float.NaN, LastSampleTime = -1f, LastSampleValue;
        internal bool LastSampleKeyed;
    }

    /// <summary>
    /// Blendshape weights over time, reduced to the keys that matter (a key when a weight moved more than the
    /// tolerance, plus the end of every hold so flat stretches stay flat). The Editor turns it into an AnimationClip
    /// for the Timeline (FaceBridge Monitor -> Record, or the recorder's inspector).
    /// </summary>
    public sealed class BlendshapeRecording
    {
        readonly Transform _root;
        readonly float _tolerance;
        readonly Dictionary<long, RecordedCurve> _byShape = new Dictionary<long, RecordedCurve>();
        readonly Dictionary<SkinnedMeshRenderer, int> _rendererIds = new Dictionary<SkinnedMeshRenderer, int>();
        readonly List<RecordedCurve> _curves = new List<RecordedCurve>();

        /// <param name="root">Paths are relative to this transform (put the clip on an Animator there).</param>
        /// <param name="tolerance">Weight change (0..100 scale) below which no key is added.</param>
        public BlendshapeRecording(Transform root, float tolerance)
        {
            _root = root;
            _tolerance = Math.Max(0f, tolerance);
        }

        public IList<RecordedCurve> Curves { get { return _curves; } }

        /// <summary>Seconds from the first to the last sample.</summary>
        public float Duration { get; private set; }

        /// <summary>Record one weight at <paramref name="time"/> seconds since the recording started.</summary>
        public void Add(SkinnedMeshRenderer renderer, int shapeIndex, float weight, float time)
        {
            int id;
            if (!_rendererIds.TryGetValue(renderer, out id)) { id = _rendererIds.Count; _rendererIds.Add(renderer, id); }
            long key = ((long)id << 32) | (uint)shapeIndex;
            RecordedCurve curve;
            if (!_byShape.TryGetValue(key, out curve))
            {
                curve = new RecordedCurve { Path = PathOf(renderer.transform), ShapeName = renderer.sharedMesh.GetBlendShapeName(shapeIndex) };
                _byShape.Add(key, curve);
                _curves.Add(curve);
            }
            if (time <= curve.LastSampleTime) return; // one sample per shape and frame
            if (float.IsNaN(curve.LastKeyValue) || Math.Abs(weight - curve.LastKeyValue) > _tolerance)
            {
                // Close the hold: the previous sample becomes a key, so the curve stays flat until the change.
                if (!curve.LastSampleKeyed && curve.LastSampleTime >= 0f) curve.Curve.AddKey(curve.LastSampleTime, curve.LastSampleValue);
                curve.Curve.AddKey(time, weight);
                curve.LastKeyValue = weight;
                curve.LastSampleKeyed = true;
            }
            else
            {
                curve.LastSampleKeyed = false;
            }
            curve.LastSampleTime = time;
            curve.LastSampleValue = weight;
            if (time > Duration) Duration = time;
        }

        /// <summary>Add the last sample of every curve as a key (call once when the recording stops).</summary>
        public void Finish()
        {
            foreach (var c in _curves)
                if (!c.LastSampleKeyed && c.LastSampleTime >= 0f)
                {
                    c.Curve.AddKey(c.LastSampleTime, c.LastSampleValue);
                    c.LastSampleKeyed = true;
                }
        }

        string PathOf(Transform t)
        {
            var parts = new List<string>();
            for (var at = t; at != null && at != _root; at = at.parent) parts.Add(at.name);
            parts.Reverse();
            return string.Join("/", parts.ToArray());
        }
    }

    /// <summary>
    /// Records what a BlendshapeDriver writes, for an AnimationClip you can keep and edit on a Timeline. Start and
    /// stop it from the FaceBridge Monitor window or the inspector (Play mode), or from code.
    /// </summary>
    [AddComponentMenu("FaceBridge/Blendshape Recorder")]
    public sealed class BlendshapeRecorder : MonoBehaviour
    {
        [Tooltip("The driver whose weights are recorded (found on this object when empty).")]
        [SerializeField] BlendshapeDriver _driver;

        [Tooltip("Paths in the clip are relative to this transform (the object with the Animator). Empty: this object.")]
        [SerializeField] Transform _root;

        [Tooltip("Weight change (0..100) below which no key is added; 0 keeps every frame.")]
        [SerializeField] float _tolerance = 0.5f;

        BlendshapeRecording _recording;
        float _startTime;

        public BlendshapeDriver Driver { get { return _driver; } set { _driver = value; } }
        public bool IsRecording { get { return _recording != null; } }

        /// <summary>The recording in progress (null when not recording).</summary>
        public BlendshapeRecording Current { get { return _recording; } }

        void Awake()
        {
            if (_driver == null) _driver = GetComponent<BlendshapeDriver>();
        }

        void OnDisable() { if (IsRecording) StopRecording(); }

        /// <summary>Start recording (any recording in progress is discarded).</summary>
        public void StartRecording()
        {
            if (_driver == null) throw new InvalidOperationException("BlendshapeRecorder: set Driver first");
            if (IsRecording) _driver.WeightWritten -= OnWeight;
            _recording = new BlendshapeRecording(_root != null ? _root : transform, _tolerance);
            _startTime = Time.time;
            _driver.WeightWritten += OnWeight;
        }

        /// <summary>Stop and return the recording (null when none was running).</summary>
        public BlendshapeRecording StopRecording()
        {
            var recording = _recording;
            if (recording == null) return null;
            _driver.WeightWritten -= OnWeight;
            _recording = null;
            recording.Finish();
            return recording;
        }

        void OnWeight(SkinnedMeshRenderer renderer, int shape, float weight)
        {
            _recording.Add(renderer, shape, weight, Time.time - _startTime);
        }
    }
}
