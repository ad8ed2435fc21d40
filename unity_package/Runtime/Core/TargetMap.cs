using System.Collections.Generic;

namespace FaceBridge.Core
{
    /// <summary>
    /// Where each target (a mesh blendshape, a VRM expression) takes its value from: an incoming shape matched by
    /// name (NameMapper rules plus aliases), else a rule of the remap preset, else nothing. Built when the names
    /// table or the targets change (allocates); <see cref="Value"/> is allocation-free.
    /// </summary>
    public sealed class TargetMap
    {
        const int None = -1;

        readonly int[] _codes; // >= 0 incoming index, <= -2 remap rule (-code - 2), -1 none
        readonly CompiledRemap _remap;

        public TargetMap(IList<string> incomingNames, IList<string> targetNames,
                         IList<KeyValuePair<string, string>> aliases, CompiledRemap remap)
        {
            _remap = remap;
            _codes = NameMapper.MapTargets(incomingNames, targetNames, aliases);
            for (int t = 0; t < _codes.Length; t++)
            {
                if (_codes[t] >= 0 || remap == null) continue;
                int rule = remap.FindRule(targetNames[t]);
                if (rule >= 0) _codes[t] = -rule - 2;
            }
        }

        public int Count { get { return _codes.Length; } }

        /// <summary>True when target t is driven (by name or by a rule).</summary>
        public bool IsMapped(int target) { return _codes[target] != None; }

        /// <summary>The incoming index driving target t directly, or -1 (none, or a rule).</summary>
        public int SourceOf(int target) { return _codes[target] >= 0 ? _codes[target] : -1; }

        /// <summary>The remap rule driving target t, or -1.</summary>
        public int RuleOf(int target) { return _codes[target] <= -2 ? -_codes[target] - 2 : -1; }

        /// <summary>Mark the incoming names this map reads (directly or through rules).</summary>
        public void MarkUsed(bool[] used)
        {
            for (int t = 0; t < _codes.Length; t++)
            {
                int code = _codes[t];
                if (code >= 0 && code < used.Length) used[code] = true;
                else if (code <= -2)
                    for (int s = 0; s < used.Length; s++)
                        if (_remap.Uses(-code - 2, s)) used[s] = true;
            }
        }

        /// <summary>
        /// Target t's value from incoming values [0, count) (the remap must have been evaluated for this frame);
        /// false when the target is not driven.
        /// </summary>
        public bool Value(int target, float[] values, int count, out float value)
        {
            int code = _codes[target];
            if (code >= 0)
            {
                value = code < count ? values[code] : 0f;
                return code < count;
            }
            if (code <= -2)
            {
                value = _remap.Values[-code - 2];
                return true;
            }
            value = 0f;
            return false;
        }
    }
}
