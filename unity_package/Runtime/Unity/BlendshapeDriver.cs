using System;
using System.Collections.Generic;
using FaceBridge.Core;
using UnityEngine;

namespace FaceBridge
{
    /// <summary>A per-shape gain: the incoming shape <c>name</c> is multiplied by <c>multiplier</c>.</summary>
    [Serializable]
    public sealed class ShapeMultiplier
    {
        public string name = "";
        public float multiplier = 1f;
    }

    /// <summary>Drive mesh shape <c>target</c> from incoming shape <c>incoming</c> (for rigs whose names differ).</summary>
    [Serializable]
    public sealed class ShapeAlias
    {
        public string incoming = "";
        public string target = "";
    }

    /// <summary>When a driver writes its weights.</summary>
    public enum ApplyTiming
    {
        /// <summary>In LateUpdate, at this script's execution order (12000 by default: after Animators and UniVRM's 11000).</summary>
        LateUpdate = 0,
        /// <summary>In Application.onBeforeRender: after every LateUpdate of the frame, whatever its order.</summary>
        BeforeRender = 1,
        /// <summary>Only when your code calls <see cref="BlendshapeDriver.ApplyNow"/>.</summary>
        Manual = 2,
    }

    /// <summary>
    /// Moves the blendshapes of one or more SkinnedMeshRenderers from the receiver's frames. Shapes are matched by
    /// name (case-insensitive; camelCase, PascalCase, _L/_R, lowercase, FBX prefixes, VRM aliases) plus your
    /// aliases and an optional remap preset (e.g. ARKit -> VRoid Fcl_). Incoming 0..1 becomes 0..the shape's full
    /// frame weight (usually 100) times the per-shape multiplier. Every driven shape is written every frame, so an
    /// Animator, a lip-sync tool or UniVRM writing the same shapes earlier in the frame never wins over tracking.
    /// </summary>
    [AddComponentMenu("FaceBridge/Blendshape Driver")]
    [DefaultExecutionOrder(12000)] // after Animator evaluation and after UniVRM's Vrm10Instance / VRMSpringBone (11000)
    public sealed class BlendshapeDriver : MonoBehaviour
    {
        [Tooltip("The receiver to follow (found on this object or in the scene when empty).")]
        [SerializeField] FaceBridgeReceiver _receiver;

        [Tooltip("Meshes to drive (face, teeth, tongue, eyelashes ...). Empty: the SkinnedMeshRenderers under this object.")]
        [SerializeField] SkinnedMeshRenderer[] _renderers = new SkinnedMeshRenderer[0];

        [Tooltip("Scales every weight.")]
        [SerializeField] float _globalMultiplier = 1f;

        [Tooltip("Clamp incoming values to 0..1 before scaling (signed combined parameters such as EyeX need this off).")]
        [SerializeField] bool _clampInput = true;

        [Tooltip("Clamp written weights to 0..the shape's full frame weight after multipliers (no over-driven shapes).")]
        [SerializeField] bool _clampWeights = true;

        [Tooltip("Smoothing time constant in seconds (0 = none). The bridge already filters; keep this small.")]
        [Range(0f, 0.5f)]
        [SerializeField] float _smoothingTime = 0f;

        [Tooltip("When to write: LateUpdate (execution order 12000), BeforeRender (after every LateUpdate), or Manual (call ApplyNow).")]
        [SerializeField] ApplyTiming _timing = ApplyTiming.LateUpdate;

        [Tooltip("Write every driven shape every frame (survives Animators and other tools). Off: only changed weights are written.")]
        [SerializeField] bool _writeEveryFrame = true;

        [Tooltip("What the face does when the bridge stops sending.")]
        [SerializeField] DisconnectBehaviour _onDisconnect = DisconnectBehaviour.EaseToNeutral;

        [Tooltip("Seconds to ease to neutral after a disconnect.")]
        [SerializeField] float _neutralEaseSeconds = 0.5f;

        [Tooltip("Mesh shapes the incoming rig lacks by name are computed by this preset (e.g. VRoid Fcl_ shapes from ARKit).")]
        [SerializeField] RemapPresetKind _remapPreset = RemapPresetKind.None;

        [SerializeField] List<ShapeMultiplier> _multipliers = new List<ShapeMultiplier>();
        [SerializeField] List<ShapeAlias> _aliases = new List<ShapeAlias>();

        readonly ExponentialSmoother _smoother = new ExponentialSmoother();
        readonly NeutralEase _ease = new NeutralEase();
        TargetMap[] _maps = new TargetMap[0];        // per renderer
        Mesh[] _mappedMeshes = new Mesh[0];          // the mesh each map was built for
        float[][] _gains = new float[0][];           // per renderer: mesh shape -> multiplier x full frame weight
        float[][] _fullWeights = new float[0][];     // per renderer: mesh shape -> full frame weight (usually 100)
        float[][] _lastWeights = new float[0][];
        CompiledRemap _remap;
        int _mappedNamesVersion = -1;
        string[] _mappedNames;
        bool _dirty = true;
        bool _released;
        readonly List<string> _unmappedIncoming = new List<string>();
        readonly List<string> _unmappedTargets = new List<string>();
        bool _subscribedBeforeRender;

        /// <summary>Incoming names that drive no mesh shape (after the last auto-map).</summary>
        public IList<string> UnmappedIncoming { get { return _unmappedIncoming; } }

        /// <summary>Mesh shapes ("renderer/shape") that no incoming name drives.</summary>
        public IList<string> UnmappedTargets { get { return _unmappedTargets; } }

        /// <summary>Number of mesh shapes currently driven.</summary>
        public int MappedCount { get; private set; }

        /// <summary>The weight of the tracked face right now (1 = tracking, falls to 0 while easing to neutral).</summary>
        public float TrackingWeight { get { return _ease.Weight; } }

        /// <summary>Raised after weights were written, with the renderer, the mesh shape index and the weight (recorders).</summary>
        public event Action<SkinnedMeshRenderer, int, float> WeightWritten;

        public FaceBridgeReceiver Receiver { get { return _receiver; } set { _receiver = value; } }

        public SkinnedMeshRenderer[] Renderers
        {
            get { return _renderers; }
            set { _renderers = value ?? new SkinnedMeshRenderer[0]; _dirty = true; }
        }

        public float GlobalMultiplier { get { return _globalMultiplier; } set { _globalMultiplier = value; } }
        public float SmoothingTime { get { return _smoothingTime; } set { _smoothingTime = Math.Max(0f, value); } }
        public bool ClampInput { get { return _clampInput; } set { _clampInput = value; } }
        public bool ClampWeights { get { return _clampWeights; } set { _clampWeights = value; } }
        public bool WriteEveryFrame { get { return _writeEveryFrame; } set { _writeEveryFrame = value; } }
        public DisconnectBehaviour OnDisconnect { get { return _onDisconnect; } set { _onDisconnect = value; } }
        public float NeutralEaseSeconds { get { return _neutralEaseSeconds; } set { _neutralEaseSeconds = Math.Max(0f, value); } }

        public RemapPresetKind RemapPreset
        {
            get { return _remapPreset; }
            set { if (_remapPreset != value) { _remapPreset = value; _dirty = true; } }
        }

        public ApplyTiming Timing
        {
            get { return _timing; }
            set { _timing = value; UpdateSubscription(); }
        }

        /// <summary>Edit these, then call <see cref="Remap"/> (the Inspector does it for you).</summary>
        public List<ShapeMultiplier> Multipliers { get { return _multipliers; } }
        public List<ShapeAlias> Aliases { get { return _aliases; } }

        /// <summary>Rebuild the name map with the current renderers, aliases, multipliers and preset at the next write.</summary>
        public void Remap() { _dirty = true; }

        void Awake() { ResolveDefaults(); }

        void OnEnable() { UpdateSubscription(); }

        void OnDisable()
        {
            if (_subscribedBeforeRender) Application.onBeforeRender -= ApplyNow;
            _subscribedBeforeRender = false;
        }

        // Unity calls this after any Inspector edit, also in Play mode: renderers, aliases, multipliers or the preset may
        // have changed (a removed renderer must never leave a stale map behind).
        void OnValidate()
        {
            if (_neutralEaseSeconds < 0f) _neutralEaseSeconds = 0f;
            if (_renderers == null) _renderers = new SkinnedMeshRenderer[0];
            _dirty = true;
            if (isActiveAndEnabled) UpdateSubscription();
        }

        void UpdateSubscription()
        {
            // Play mode only: in Edit mode OnDisable is not guaranteed, so a subscription could outlive the object.
            bool want = _timing == ApplyTiming.BeforeRender && isActiveAndEnabled && Application.isPlaying;
            if (want == _subscribedBeforeRender) return;
            if (want) Application.onBeforeRender += ApplyNow;
            else Application.onBeforeRender -= ApplyNow;
            _subscribedBeforeRender = want;
        }

        // Also called by AutoMap, so the inspector button works in Edit mode (where Awake has not run).
        void ResolveDefaults()
        {
            if (_receiver == null) _receiver = FaceBridgeReceiver.FindFor(this);
            if (_renderers == null || _renderers.Length == 0) _renderers = GetComponentsInChildren<SkinnedMeshRenderer>();
        }

        void LateUpdate()
        {
            if (_timing == ApplyTiming.LateUpdate) ApplyNow();
        }

        /// <summary>Write the receiver's current frame now (LateUpdate or onBeforeRender call this, or you with Manual timing).</summary>
        public void ApplyNow()
        {
            if (_receiver == null || !_receiver.HasFrame) return;
            Apply(_receiver.Frame, Time.deltaTime, _receiver.IsConnected);
        }

        /// <summary>
        /// Build the name map for these incoming names and fill the unmapped reports. Called automatically when the
        /// bridge sends a new names table or a setting changes; the inspector's Auto-map button calls it too.
        /// </summary>
        public void AutoMap(IList<string> incomingNames)
        {
            ResolveDefaults();
            if (_renderers == null) _renderers = new SkinnedMeshRenderer[0];
            var aliasPairs = new List<KeyValuePair<string, string>>();
            foreach (var a in _aliases)
                if (a != null && !string.IsNullOrEmpty(a.incoming)) aliasPairs.Add(new KeyValuePair<string, string>(a.incoming, a.target));
            var multiplierByKey = new Dictionary<string, float>(StringComparer.Ordinal);
            foreach (var m in _multipliers)
                if (m != null && !string.IsNullOrEmpty(m.name)) multiplierByKey[NameMapper.Normalize(m.name)] = m.multiplier;

            var preset = CompiledRemap.For(_remapPreset);
            _remap = preset != null ? new CompiledRemap(preset, incomingNames) : null;
            int n = _renderers.Length;
            _maps = new TargetMap[n];
            _mappedMeshes = new Mesh[n];
            _gains = new float[n][];
            _fullWeights = new float[n][];
            _lastWeights = new float[n][];
            _unmappedTargets.Clear();
            MappedCount = 0;
            var used = new bool[incomingNames.Count];
            for (int r = 0; r < n; r++)
            {
                var smr = _renderers[r];
                var mesh = smr != null ? smr.sharedMesh : null;
                int count = mesh != null ? mesh.blendShapeCount : 0;
                var targetNames = new string[count];
                for (int t = 0; t < count; t++) targetNames[t] = mesh.GetBlendShapeName(t);
                var map = new TargetMap(incomingNames, targetNames, aliasPairs, _remap);
                map.MarkUsed(used);
                var gains = new float[count];
                var full = new float[count];
                var last = new float[count];
                for (int t = 0; t < count; t++)
                {
                    last[t] = float.NaN; // force the first write
                    int frames = mesh.GetBlendShapeFrameCount(t);
                    // The last frame's weight is "fully on": 100 for most meshes, 1 for some exporters.
                    full[t] = frames > 0 ? mesh.GetBlendShapeFrameWeight(t, frames - 1) : 100f;
                    if (!map.IsMapped(t)) { _unmappedTargets.Add(smr.name + "/" + targetNames[t]); continue; }
                    MappedCount++;
                    int s = map.SourceOf(t);
                    string key = NameMapper.Normalize(s >= 0 ? incomingNames[s] : targetNames[t]);
                    float gain;
                    gains[t] = full[t] * (multiplierByKey.TryGetValue(key, out gain) ? gain : 1f);
                }
                _maps[r] = map;
                _mappedMeshes[r] = mesh;
                _gains[r] = gains;
                _fullWeights[r] = full;
                _lastWeights[r] = last;
            }
            _unmappedIncoming.Clear();
            for (int i = 0; i < used.Length; i++)
                if (!used[i]) _unmappedIncoming.Add(incomingNames[i]);
            _mappedNames = incomingNames is string[] ? (string[])incomingNames : new List<string>(incomingNames).ToArray();
            _dirty = false;
        }

        bool NeedsRemap(FaceFrame frame)
        {
            if (_dirty || frame.NamesVersion != _mappedNamesVersion || !ReferenceEquals(frame.Names, _mappedNames)) return true;
            if (_renderers == null || _maps.Length != _renderers.Length) return true; // renderers edited without OnValidate
            for (int r = 0; r < _renderers.Length; r++)
            {
                var smr = _renderers[r];
                var mesh = smr != null ? smr.sharedMesh : null; // a destroyed renderer compares equal to null
                if (!ReferenceEquals(mesh, _mappedMeshes[r]) && !(mesh == null && _mappedMeshes[r] == null)) return true;
                if (mesh != null && mesh.blendShapeCount != _maps[r].Count) return true;
            }
            return false;
        }

        /// <summary>Apply one frame of a connected stream (tests and custom pipelines).</summary>
        public void Apply(FaceFrame frame, float deltaSeconds) { Apply(frame, deltaSeconds, true); }

        /// <summary>
        /// Apply one rendered frame: the tracked values while <paramref name="connected"/>, else ease toward neutral
        /// (or hold) per <see cref="OnDisconnect"/>. Writes every driven shape unless WriteEveryFrame is off.
        /// </summary>
        public void Apply(FaceFrame frame, float deltaSeconds, bool connected)
        {
            if (NeedsRemap(frame))
            {
                AutoMap(frame.Names);
                _mappedNamesVersion = frame.NamesVersion;
                _smoother.Reset();
            }
            float weight = _onDisconnect == DisconnectBehaviour.Hold ? 1f : _ease.Step(connected, deltaSeconds, _neutralEaseSeconds);
            if (!connected && _onDisconnect == DisconnectBehaviour.EaseToNeutral && _ease.AtNeutral)
            {
                if (_released) return; // neutral written once; leave the shapes to other systems until data returns
                _released = true;
            }
            else
            {
                _released = false;
            }
            int count = Math.Min(frame.ValueCount, frame.Names.Length);
            float[] values = _smoother.Step(frame.Values, count, deltaSeconds, _smoothingTime);
            if (_remap != null) _remap.Evaluate(values, count, frame.EmotionProbabilities);
            var written = WeightWritten;
            for (int r = 0; r < _maps.Length && r < _renderers.Length; r++)
            {
                var smr = _renderers[r];
                if (smr == null) continue; // removed or destroyed while playing
                var map = _maps[r];
                float[] gains = _gains[r], full = _fullWeights[r], last = _lastWeights[r];
                for (int t = 0; t < map.Count; t++)
                {
                    float v;
                    if (!map.Value(t, values, count, out v)) continue;
                    if (_clampInput) v = v < 0f ? 0f : v > 1f ? 1f : v;
                    float w = v * gains[t] * _globalMultiplier * weight;
                    if (_clampWeights)
                    {
                        float max = full[t];
                        w = max >= 0f ? (w < 0f ? 0f : w > max ? max : w) : (w > 0f ? 0f : w < max ? max : w);
                    }
                    if (!_writeEveryFrame && Math.Abs(w - last[t]) < 1e-3f) continue;
                    smr.SetBlendShapeWeight(t, w);
                    last[t] = w;
                    if (written != null) written(smr, t, w);
                }
            }
        }
    }
}
