using System;
using System.Collections.Generic;

namespace FaceBridge.Core
{
    /// <summary>What a driver does when the bridge stops sending (after the receiver's connection timeout).</summary>
    public enum DisconnectBehaviour
    {
        /// <summary>Ease every driven target to 0 over the ease time, then stop writing (other systems take over).</summary>
        EaseToNeutral = 0,
        /// <summary>Keep the last tracked face.</summary>
        Hold = 1,
    }

    /// <summary>
    /// The engine-free half of an expression driver (VRM 1.0 expressions, VRM 0.x blendshape clips): maps incoming
    /// names onto a list of target names (by name, aliases, remap preset), eases to neutral on disconnect, and
    /// computes one 0..1 weight per target per frame into <see cref="Weights"/> without allocating.
    /// </summary>
    public sealed class ExpressionWeights
    {
        readonly NeutralEase _ease = new NeutralEase();
        TargetMap _map;
        CompiledRemap _remap;
        int _namesVersion = -1;
        string[] _names;
        IList<string> _targets;
        int _targetCount = -1;
        bool _released;
        bool _dirty = true;

        /// <summary>One weight per target (0..1 x GlobalMultiplier), valid after Compute returned true.</summary>
        public float[] Weights = new float[0];

        public RemapPresetKind Preset = RemapPresetKind.VrmExpressions;
        public DisconnectBehaviour OnDisconnect = DisconnectBehaviour.EaseToNeutral;
        public float NeutralEaseSeconds = 0.5f;
        public float GlobalMultiplier = 1f;
        public IList<KeyValuePair<string, string>> Aliases;

        /// <summary>Targets driven after the last mapping.</summary>
        public int MappedCount { get; private set; }

        /// <summary>The tracked face's weight right now (1 = tracking, 0 = eased to neutral).</summary>
        public float TrackingWeight { get { return _ease.Weight; } }

        /// <summary>True for target t when it is driven (by name or by the preset).</summary>
        public bool IsMapped(int target) { return _map != null && target < _map.Count && _map.IsMapped(target); }

        /// <summary>Rebuild the mapping at the next Compute (call after changing Preset or Aliases).</summary>
        public void Invalidate() { _dirty = true; }

        /// <summary>
        /// Compute the weights of <paramref name="targetNames"/> for this frame. Returns false when nothing should be
        /// written (eased to neutral after a disconnect and already written once).
        /// </summary>
        public bool Compute(FaceFrame frame, IList<string> targetNames, float deltaSeconds, bool connected)
        {
            if (_dirty || frame.NamesVersion != _namesVersion || !ReferenceEquals(frame.Names, _names)
                || !ReferenceEquals(targetNames, _targets) || targetNames.Count != _targetCount)
            {
                var preset = CompiledRemap.For(Preset);
                _remap = preset != null ? new CompiledRemap(preset, frame.Names) : null;
                _map = new TargetMap(frame.Names, targetNames, Aliases, _remap);
                _namesVersion = frame.NamesVersion;
                _names = frame.Names;
                _targets = targetNames;
                _targetCount = targetNames.Count;
                if (Weights.Length != _targetCount) Weights = new float[_targetCount];
                MappedCount = 0;
                for (int t = 0; t < _targetCount; t++) if (_map.IsMapped(t)) MappedCount++;
                _dirty = false;
            }
            float weight = OnDisconnect == DisconnectBehaviour.Hold ? 1f : _ease.Step(connected, deltaSeconds, NeutralEaseSeconds);
            if (!connected && OnDisconnect == DisconnectBehaviour.EaseToNeutral && _ease.AtNeutral)
            {
                if (_released) return false;
                _released = true;
            }
            else
            {
                _released = false;
            }
            int count = Math.Min(frame.ValueCount, frame.Names.Length);
            if (_remap != null) _remap.Evaluate(frame.Values, count, frame.EmotionProbabilities);
            for (int t = 0; t < _targetCount; t++)
            {
                float v;
                if (!_map.Value(t, frame.Values, count, out v)) { Weights[t] = 0f; continue; }
                v = v < 0f ? 0f : v > 1f ? 1f : v;
                Weights[t] = v * GlobalMultiplier * weight;
            }
            return true;
        }
    }
}
