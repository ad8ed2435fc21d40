using System;
using System.Collections.Generic;

namespace FaceBridge.Core
{
    /// <summary>One input of a remap rule: an incoming shape (or "emotion:LABEL", a FER+ probability) times a weight.</summary>
    public struct RemapTerm
    {
        public readonly string Source;
        public readonly float Weight;

        public RemapTerm(string source, float weight) { Source = source; Weight = weight; }
    }

    /// <summary>
    /// A target shape computed from incoming shapes: clamp01(sum of weight x source), then an optional dead zone
    /// (values below it become 0, the rest is rescaled to 0..1 and eased with smoothstep).
    /// </summary>
    public sealed class RemapRule
    {
        public readonly string Target;
        public readonly RemapTerm[] Terms;
        public readonly float DeadZone;

        public RemapRule(string target, float deadZone, params RemapTerm[] terms)
        {
            Target = target;
            DeadZone = deadZone;
            Terms = terms;
        }
    }

    /// <summary>
    /// A mapping preset for avatars whose shapes are not the incoming rig's: targets the avatar has but the bridge
    /// does not send are computed from the incoming shapes. Shapes matched by name always win over a rule.
    /// </summary>
    public sealed class RemapPreset
    {
        public const string EmotionPrefix = "emotion:";

        public readonly string Name;
        public readonly string Description;
        readonly RemapRule[] _rules;

        public RemapPreset(string name, string description, params RemapRule[] rules)
        {
            Name = name;
            Description = description;
            _rules = rules;
        }

        public int RuleCount { get { return _rules.Length; } }
        public RemapRule this[int index] { get { return _rules[index]; } }

        static RemapTerm T(string source, float weight) { return new RemapTerm(source, weight); }
        static RemapRule R(string target, params RemapTerm[] terms) { return new RemapRule(target, 0f, terms); }
        static RemapRule Emotion(string target, params RemapTerm[] terms) { return new RemapRule(target, 0.35f, terms); }

        /// <summary>
        /// ARKit 52 -> VRoid Studio's own blendshapes (Fcl_EYE_*, Fcl_MTH_*, Fcl_BRW_*, Fcl_ALL_*), for VRoid models
        /// without the 52 perfect-sync shapes: blinks and eye smiles per eye, visemes from the mouth shapes,
        /// brows, mouth corners, and the whole-face emotions from the bridge's emotion probabilities. A model that
        /// does have the ARKit shapes (perfect sync) is driven by name and this preset only fills the rest.
        /// </summary>
        public static readonly RemapPreset ArkitToVroid = new RemapPreset("ARKit -> VRoid Fcl_",
            "VRoid Studio blendshapes (Fcl_) from ARKit 52 names and the emotion probabilities",
            R("Fcl_EYE_Close_L", T("eyeBlinkLeft", 1f)),
            R("Fcl_EYE_Close_R", T("eyeBlinkRight", 1f)),
            R("Fcl_EYE_Joy_L", T("eyeSquintLeft", 0.7f), T("cheekSquintLeft", 0.5f)),
            R("Fcl_EYE_Joy_R", T("eyeSquintRight", 0.7f), T("cheekSquintRight", 0.5f)),
            R("Fcl_EYE_Spread", T("eyeWideLeft", 0.5f), T("eyeWideRight", 0.5f)),
            R("Fcl_BRW_Angry", T("browDownLeft", 0.5f), T("browDownRight", 0.5f)),
            R("Fcl_BRW_Sorrow", T("browInnerUp", 1f)),
            R("Fcl_BRW_Surprised", T("browOuterUpLeft", 0.5f), T("browOuterUpRight", 0.5f)),
            R("Fcl_MTH_A", T("jawOpen", 1.2f), T("mouthFunnel", -0.6f), T("mouthPucker", -0.6f)),
            R("Fcl_MTH_I", T("mouthStretchLeft", 0.6f), T("mouthStretchRight", 0.6f), T("jawOpen", -0.5f)),
            R("Fcl_MTH_U", T("mouthPucker", 1f)),
            R("Fcl_MTH_E", T("mouthLowerDownLeft", 0.5f), T("mouthLowerDownRight", 0.5f), T("mouthStretchLeft", 0.3f),
                T("mouthStretchRight", 0.3f)),
            R("Fcl_MTH_O", T("mouthFunnel", 1f)),
            R("Fcl_MTH_Close", T("mouthClose", 1f)),
            R("Fcl_MTH_Fun", T("mouthSmileLeft", 0.5f), T("mouthSmileRight", 0.5f)),
            R("Fcl_MTH_Sorrow", T("mouthFrownLeft", 0.5f), T("mouthFrownRight", 0.5f)),
            R("Fcl_MTH_Angry", T("mouthPressLeft", 0.5f), T("mouthPressRight", 0.5f)),
            R("Fcl_MTH_SkinFung_L", T("mouthSmileLeft", 0.6f), T("mouthSmileRight", -0.6f)),
            R("Fcl_MTH_SkinFung_R", T("mouthSmileRight", 0.6f), T("mouthSmileLeft", -0.6f)),
            Emotion("Fcl_ALL_Joy", T("emotion:happiness", 1f)),
            Emotion("Fcl_ALL_Angry", T("emotion:anger", 1f), T("emotion:disgust", 0.5f)),
            Emotion("Fcl_ALL_Sorrow", T("emotion:sadness", 1f), T("emotion:fear", 0.3f)),
            Emotion("Fcl_ALL_Surprised", T("emotion:surprise", 1f)));

        /// <summary>
        /// ARKit 52 -> the VRM expression presets (VRM 1.0 names; VRM 0.x Joy/A/Blink_L ... match through the VRM
        /// aliases): blinks, visemes, look directions, and happy/angry/sad/surprised from the emotion probabilities
        /// (dead zone 0.35, as the bridge's vrm1-basic preset).
        /// </summary>
        public static readonly RemapPreset ArkitToVrm = new RemapPreset("ARKit -> VRM expressions",
            "VRM 1.0 / 0.x expression presets from ARKit 52 names and the emotion probabilities",
            R("blinkLeft", T("eyeBlinkLeft", 1f)),
            R("blinkRight", T("eyeBlinkRight", 1f)),
            R("aa", T("jawOpen", 1.2f), T("mouthFunnel", -0.8f), T("mouthPucker", -0.8f)),
            R("ih", T("mouthStretchLeft", 0.6f), T("mouthStretchRight", 0.6f), T("jawOpen", -0.8f)),
            R("ou", T("mouthPucker", 1f), T("jawOpen", -0.4f)),
            R("ee", T("mouthLowerDownLeft", 0.5f), T("mouthLowerDownRight", 0.5f), T("mouthStretchLeft", 0.3f),
                T("mouthStretchRight", 0.3f)),
            R("oh", T("mouthFunnel", 1f)),
            R("lookUp", T("eyeLookUpLeft", 0.5f), T("eyeLookUpRight", 0.5f)),
            R("lookDown", T("eyeLookDownLeft", 0.5f), T("eyeLookDownRight", 0.5f)),
            R("lookLeft", T("eyeLookOutLeft", 0.5f), T("eyeLookInRight", 0.5f)),
            R("lookRight", T("eyeLookInLeft", 0.5f), T("eyeLookOutRight", 0.5f)),
            Emotion("happy", T("emotion:happiness", 1f)),
            Emotion("angry", T("emotion:anger", 1f), T("emotion:disgust", 0.5f)),
            Emotion("sad", T("emotion:sadness", 1f), T("emotion:fear", 0.3f)),
            Emotion("surprised", T("emotion:surprise", 1f), T("emotion:fear", 0.5f)));
    }

    /// <summary>Which remap preset a driver uses for shapes the incoming rig does not have by name.</summary>
    public enum RemapPresetKind
    {
        /// <summary>Names only (plus your aliases).</summary>
        None = 0,
        /// <summary>VRoid Studio models (Fcl_ shapes) from ARKit names: see <see cref="RemapPreset.ArkitToVroid"/>.</summary>
        VroidFcl = 1,
        /// <summary>VRM expression presets from ARKit names: see <see cref="RemapPreset.ArkitToVrm"/>.</summary>
        VrmExpressions = 2,
    }

    /// <summary>
    /// A remap preset bound to one names table: per rule the incoming indices, evaluated once per frame into
    /// <see cref="Values"/> without allocating. Build a new one when the names table changes.
    /// </summary>
    public sealed class CompiledRemap
    {
        const int EmotionBase = -1000; // source codes <= EmotionBase are emotion probabilities

        readonly RemapPreset _preset;
        readonly int[][] _sources;
        readonly float[][] _weights;
        readonly Dictionary<string, int> _ruleByKey = new Dictionary<string, int>(StringComparer.Ordinal);

        /// <summary>The value of each rule after the last Evaluate (0..1).</summary>
        public readonly float[] Values;

        public static RemapPreset For(RemapPresetKind kind)
        {
            switch (kind)
            {
                case RemapPresetKind.VroidFcl: return RemapPreset.ArkitToVroid;
                case RemapPresetKind.VrmExpressions: return RemapPreset.ArkitToVrm;
                default: return null;
            }
        }

        public CompiledRemap(RemapPreset preset, IList<string> incomingNames)
        {
            _preset = preset;
            int n = preset == null ? 0 : preset.RuleCount;
            _sources = new int[n][];
            _weights = new float[n][];
            Values = new float[n];
            var byKey = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < incomingNames.Count; i++)
            {
                string key = NameMapper.Normalize(incomingNames[i]);
                if (key.Length > 0 && !byKey.ContainsKey(key)) byKey.Add(key, i);
            }
            for (int r = 0; r < n; r++)
            {
                var rule = preset[r];
                var sources = new List<int>();
                var weights = new List<float>();
                bool anyPresent = false;
                foreach (var term in rule.Terms)
                {
                    int code;
                    if (term.Source.StartsWith(RemapPreset.EmotionPrefix, StringComparison.Ordinal))
                    {
                        int e = Array.IndexOf(FaceFrame.EmotionLabels, term.Source.Substring(RemapPreset.EmotionPrefix.Length));
                        if (e < 0) continue;
                        code = EmotionBase - e;
                    }
                    else if (!byKey.TryGetValue(NameMapper.Normalize(term.Source), out code)) continue;
                    sources.Add(code);
                    weights.Add(term.Weight);
                    if (term.Weight > 0f) anyPresent = true;
                }
                _sources[r] = anyPresent ? sources.ToArray() : new int[0]; // a rule with no positive input stays 0
                _weights[r] = anyPresent ? weights.ToArray() : new float[0];
                if (anyPresent)
                {
                    string key = NameMapper.Normalize(rule.Target);
                    if (!_ruleByKey.ContainsKey(key)) _ruleByKey.Add(key, r);
                }
            }
        }

        public int RuleCount { get { return Values.Length; } }

        /// <summary>Target name of rule r.</summary>
        public string TargetOf(int rule) { return _preset[rule].Target; }

        /// <summary>True when rule r reads incoming index <paramref name="source"/>.</summary>
        public bool Uses(int rule, int source) { return Array.IndexOf(_sources[rule], source) >= 0; }

        /// <summary>The rule computing this mesh/expression name (matched like NameMapper, VRM 0/1 aliases too), or -1.</summary>
        public int FindRule(string targetName)
        {
            int r;
            string key = NameMapper.Normalize(targetName);
            if (_ruleByKey.TryGetValue(key, out r)) return r;
            foreach (var pair in NameMapper.VrmAliases)
            {
                if (NameMapper.Normalize(pair.Value) == key && _ruleByKey.TryGetValue(NameMapper.Normalize(pair.Key), out r)) return r;
                if (NameMapper.Normalize(pair.Key) == key && _ruleByKey.TryGetValue(NameMapper.Normalize(pair.Value), out r)) return r;
            }
            return -1;
        }

        /// <summary>Compute every rule from incoming values [0, count) and the 8 emotion probabilities.</summary>
        public void Evaluate(float[] values, int count, float[] emotionProbabilities)
        {
            for (int r = 0; r < Values.Length; r++)
            {
                int[] sources = _sources[r];
                float[] weights = _weights[r];
                float sum = 0f;
                for (int k = 0; k < sources.Length; k++)
                {
                    int s = sources[k];
                    float v = s >= 0 ? (s < count ? values[s] : 0f) : emotionProbabilities[EmotionBase - s];
                    sum += weights[k] * v;
                }
                sum = sum < 0f ? 0f : sum > 1f ? 1f : sum;
                float dz = _preset[r].DeadZone;
                if (dz > 0f)
                {
                    sum = sum <= dz ? 0f : (sum - dz) / (1f - dz);
                    sum = sum * sum * (3f - 2f * sum);
                }
                Values[r] = sum;
            }
        }
    }
}
