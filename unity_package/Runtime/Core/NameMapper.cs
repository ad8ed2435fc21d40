using System;
using System.Collections.Generic;
using System.Text;

namespace FaceBridge.Core
{
    /// <summary>
    /// Maps incoming shape names onto a mesh's blendshape names, by NAME (never by index): case-insensitive and
    /// tolerant of the spellings in the wild -- camelCase (eyeBlinkLeft), PascalCase (EyeBlinkLeft), _L/_R
    /// (eyeBlink_L), lowercase (eyeblinkleft), FBX prefixes (blendShape1.jawOpen) -- plus VRM 0.x/1.0 aliases
    /// and user aliases. Building a map allocates; using it (an int[] lookup) does not.
    /// </summary>
    public static class NameMapper
    {
        /// <summary>The 52 ARKit blendshape names in Apple's order (what the bridge's default rig sends).</summary>
        public static readonly string[] Arkit52Names =
        {
            "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft", "eyeSquintLeft",
            "eyeWideLeft", "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight",
            "eyeSquintRight", "eyeWideRight", "jawForward", "jawLeft", "jawRight", "jawOpen", "mouthClose",
            "mouthFunnel", "mouthPucker", "mouthLeft", "mouthRight", "mouthSmileLeft", "mouthSmileRight",
            "mouthFrownLeft", "mouthFrownRight", "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft",
            "mouthStretchRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
            "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft",
            "mouthUpperUpRight", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
            "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "noseSneerLeft", "noseSneerRight", "tongueOut",
        };

        /// <summary>VRM 1.0 expression name -> VRM 0.x preset name (both directions are matched).</summary>
        public static readonly KeyValuePair<string, string>[] VrmAliases =
        {
            new KeyValuePair<string, string>("happy", "Joy"),
            new KeyValuePair<string, string>("angry", "Angry"),
            new KeyValuePair<string, string>("sad", "Sorrow"),
            new KeyValuePair<string, string>("relaxed", "Fun"),
            new KeyValuePair<string, string>("aa", "A"),
            new KeyValuePair<string, string>("ih", "I"),
            new KeyValuePair<string, string>("ou", "U"),
            new KeyValuePair<string, string>("ee", "E"),
            new KeyValuePair<string, string>("oh", "O"),
            new KeyValuePair<string, string>("blinkLeft", "Blink_L"),
            new KeyValuePair<string, string>("blinkRight", "Blink_R"),
        };

        /// <summary>
        /// The matching key of a name: text after the last '.', lower case, separators removed, and a trailing
        /// L/R side marker spelled out ("eyeBlink_L" and "EyeBlinkLeft" both give "eyeblinkleft").
        /// </summary>
        public static string Normalize(string name)
        {
            if (string.IsNullOrEmpty(name)) return string.Empty;
            string s = name.Trim();
            string side = null;
            // "_L", "-L", " L" or ".L" (Blender) at the end mark the side; strip it before any "prefix." part.
            if (s.Length > 2 && IsSeparator(s[s.Length - 2]))
            {
                char c = char.ToLowerInvariant(s[s.Length - 1]);
                if (c == 'l') side = "left";
                else if (c == 'r') side = "right";
                if (side != null) s = s.Substring(0, s.Length - 2);
            }
            int dot = s.LastIndexOf('.');
            if (dot >= 0 && dot < s.Length - 1) s = s.Substring(dot + 1); // "blendShape1.jawOpen" -> "jawOpen"
            var sb = new StringBuilder(s.Length + 5);
            foreach (char c in s)
                if (!IsSeparator(c)) sb.Append(char.ToLowerInvariant(c));
            if (side != null) sb.Append(side);
            return sb.ToString();
        }

        static bool IsSeparator(char c) { return c == '_' || c == '-' || c == ' ' || c == '.'; }

        /// <summary>
        /// For each target (mesh) shape, the index of the source (incoming) name that drives it, or -1.
        /// <paramref name="aliases"/> maps an incoming name to a target name (matched after Normalize).
        /// </summary>
        public static int[] MapTargets(IList<string> sourceNames, IList<string> targetNames,
                                       IList<KeyValuePair<string, string>> aliases = null)
        {
            var sourceByKey = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < sourceNames.Count; i++)
            {
                string key = Normalize(sourceNames[i]);
                if (key.Length > 0 && !sourceByKey.ContainsKey(key)) sourceByKey.Add(key, i);
            }
            // alias: target key -> source index (user aliases first, so they win over the built-in VRM ones)
            var aliasTargets = new Dictionary<string, int>(StringComparer.Ordinal);
            if (aliases != null) AddAliases(aliases, sourceByKey, aliasTargets, false);
            AddAliases(VrmAliases, sourceByKey, aliasTargets, true);

            var map = new int[targetNames.Count];
            for (int t = 0; t < targetNames.Count; t++)
            {
                string key = Normalize(targetNames[t]);
                int source;
                if (aliasTargets.TryGetValue(key, out source) || sourceByKey.TryGetValue(key, out source)) map[t] = source;
                else map[t] = -1;
            }
            return map;
        }

        static void AddAliases(IList<KeyValuePair<string, string>> aliases, Dictionary<string, int> sourceByKey,
                               Dictionary<string, int> aliasTargets, bool bothWays)
        {
            foreach (var pair in aliases)
            {
                string from = Normalize(pair.Key), to = Normalize(pair.Value);
                int source;
                if (sourceByKey.TryGetValue(from, out source) && !aliasTargets.ContainsKey(to)) aliasTargets.Add(to, source);
                if (bothWays && sourceByKey.TryGetValue(to, out source) && !aliasTargets.ContainsKey(from))
                    aliasTargets.Add(from, source);
            }
        }

        /// <summary>Source names that drive no target shape (for the "unmapped" report).</summary>
        public static List<string> UnusedSources(IList<string> sourceNames, int[] targetMap)
        {
            var used = new bool[sourceNames.Count];
            foreach (int s in targetMap)
                if (s >= 0 && s < used.Length) used[s] = true;
            var unused = new List<string>();
            for (int i = 0; i < used.Length; i++)
                if (!used[i]) unused.Add(sourceNames[i]);
            return unused;
        }
    }
}
