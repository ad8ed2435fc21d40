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

    /// <summary>
    /// Moves the blendshapes of one or more SkinnedMeshRenderers from the receiver's frames. Shapes are matched
    /// by name (case-insensitive; camelCase, PascalCase, _L/_R, lowercase, FBX prefixes, VRM aliases) plus your
    /// aliases; incoming 0..1 becomes Unity's 0..100 weight times the per-shape multiplier.
    /// </summary>
    [AddComponentMenu("FaceBridge/Blendshape Driver")]
    public sealed class BlendshapeDriver : MonoBehaviour
    {
        [Tooltip("The receiver to follow (found on this object or in the scene when empty).")]
        [SerializeField] FaceBridgeReceiver _receiver;

        [Tooltip("Meshes to drive (face, teeth, tongue, eyelashes ...). Empty: the SkinnedMeshRenderers under this object.")]
        [SerializeField] SkinnedMeshRenderer[] _renderers = new SkinnedMeshRenderer[0];

        [Tooltip("Scales every weight.")]
        [SerializeField] float _globalMultiplier = 1f;

        [Tooltip("Clamp incoming values to 0..1 before scaling (signed combined parameters need this off).")]
        [SerializeField] bool _clampInput = true;

        [Tooltip("Smoothing time constant in seconds (0 = none). The bridge already filters; keep this small.")]
        [Range(0f, 0.5f)]
        [SerializeField] float _smoothingTime = 0f;

        [SerializeField] List<ShapeMultiplier> _multipliers = new List<ShapeMultiplier>();
        [SerializeField] List<ShapeAlias> _aliases = new List<ShapeAlias>();

        readonly ExponentialSmoother _smoother = new ExponentialSmoother();
        int[][] _maps = new int[0][];          // per renderer: mesh shape -> incoming index (-1 = none)
        float[][] _gains = new float[0][];     // per renderer: mesh shape -> multiplier * 100
        float[][] _lastWeights = new float[0][];
        int _mappedNamesVersion = -1;
        string[] _mappedNames;
        readonly List<string> _unmappedIncoming = new List<string>();
        readonly List<string> _unmappedTargets = new List<string>();

        /// <summary>Incoming names that drive no mesh shape (after the last auto-map).</summary>
        public IList<string> UnmappedIncoming { get { return _unmappedIncoming; } }

        /// <summary>Mesh shapes ("renderer/shape") that no incoming name drives.</summary>
        public IList<string> UnmappedTargets { get { return _unmappedTargets; } }

        /// <summary>Number of mesh shapes currently driven.</summary>
        public int MappedCount { get; private set; }

        public FaceBridgeReceiver Receiver { get { return _receiver; } set { _receiver = value; } }

        public SkinnedMeshRenderer[] Renderers
        {
            get { return _renderers; }
            set { _renderers = value ?? new SkinnedMeshRenderer[0]; _mappedNamesVersion = -1; }
        }

        public float GlobalMultiplier { get { return _globalMultiplier; } set { _globalMultiplier = value; } }
        public float SmoothingTime { get { return _smoothingTime; } set { _smoothingTime = Math.Max(0f, value); } }
        public List<ShapeMultiplier> Multipliers { get { return _multipliers; } }
        public List<ShapeAlias> Aliases { get { return _aliases; } }

        void Awake() { ResolveDefaults(); }

        // Also called by AutoMap, so the inspector button works in Edit mode (where Awake has not run).
        void ResolveDefaults()
        {
            if (_receiver == null) _receiver = GetComponent<FaceBridgeReceiver>();
            if (_receiver == null) _receiver = FindObjectOfType<FaceBridgeReceiver>();
            if (_renderers == null || _renderers.Length == 0) _renderers = GetComponentsInChildren<SkinnedMeshRenderer>();
        }

        void LateUpdate()
        {
            if (_receiver != null && _receiver.HasFrame) Apply(_receiver.Frame, Time.deltaTime);
        }

        /// <summary>
        /// Build the name map for these incoming names and fill the unmapped reports. Called automatically when
        /// the bridge sends a new names table; the inspector's Auto-map button calls it too.
        /// </summary>
        public void AutoMap(IList<string> incomingNames)
        {
            ResolveDefaults();
            var aliasPairs = new List<KeyValuePair<string, string>>();
            foreach (var a in _aliases)
                if (a != null && !string.IsNullOrEmpty(a.incoming)) aliasPairs.Add(new KeyValuePair<string, string>(a.incoming, a.target));
            var multiplierByKey = new Dictionary<string, float>(StringComparer.Ordinal);
            foreach (var m in _multipliers)
                if (m != null && !string.IsNullOrEmpty(m.name)) multiplierByKey[NameMapper.Normalize(m.name)] = m.multiplier;

            int n = _renderers.Length;
            _maps = new int[n][];
            _gains = new float[n][];
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
                int[] map = NameMapper.MapTargets(incomingNames, targetNames, aliasPairs);
                var gains = new float[count];
                var last = new float[count];
                for (int t = 0; t < count; t++)
                {
                    last[t] = float.NaN; // force the first write
                    int s = map[t];
                    if (s < 0) { _unmappedTargets.Add(smr.name + "/" + targetNames[t]); continue; }
                    used[s] = true;
                    MappedCount++;
                    float gain;
                    gains[t] = 100f * (multiplierByKey.TryGetValue(NameMapper.Normalize(incomingNames[s]), out gain) ? gain : 1f);
                }
                _maps[r] = map;
                _gains[r] = gains;
                _lastWeights[r] = last;
            }
            _unmappedIncoming.Clear();
            for (int i = 0; i < used.Length; i++)
                if (!used[i]) _unmappedIncoming.Add(incomingNames[i]);
            _mappedNames = incomingNames is string[] ? (string[])incomingNames : new List<string>(incomingNames).ToArray();
        }

        /// <summary>Apply one frame (LateUpdate calls this with the receiver's frame).</summary>
        public void Apply(FaceFrame frame, float deltaSeconds)
        {
            if (frame.NamesVersion != _mappedNamesVersion || !ReferenceEquals(frame.Names, _mappedNames))
            {
                AutoMap(frame.Names);
                _mappedNamesVersion = frame.NamesVersion;
                _smoother.Reset();
            }
            int count = Math.Min(frame.ValueCount, frame.Names.Length);
            float[] values = _smoother.Step(frame.Values, count, deltaSeconds, _smoothingTime);
            for (int r = 0; r < _maps.Length; r++)
            {
                var smr = _renderers[r];
                if (smr == null) continue;
                int[] map = _maps[r];
                float[] gains = _gains[r], last = _lastWeights[r];
                for (int t = 0; t < map.Length; t++)
                {
                    int s = map[t];
                    if (s < 0 || s >= count) continue;
                    float v = values[s];
                    if (_clampInput) v = v < 0f ? 0f : v > 1f ? 1f : v;
                    float w = v * gains[t] * _globalMultiplier;
                    if (Math.Abs(w - last[t]) < 1e-3f) continue; // unchanged: skip the engine call
                    smr.SetBlendShapeWeight(t, w);
                    last[t] = w;
                }
            }
        }
    }
}
