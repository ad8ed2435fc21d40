// A minimal stand-in for the UniVRM assemblies "VRM10" (package com.vrmc.vrm, VRM 1.0) and "VRM" (com.vrmc.univrm,
// VRM 0.x), so the package's optional VRM adapters (Runtime/Vrm, compiled in Unity only when UniVRM is installed) are
// compiled and tested here. NEVER shipped. Its public surface is checked against tests/csharp/univrm-api.txt, read
// from UniVRM's source; the stub's own plumbing is `internal`.
using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using UnityEngine;

[assembly: InternalsVisibleTo("FaceBridge.StubTests")]

namespace UniVRM10
{
    public enum ExpressionPreset
    {
        custom, happy, angry, sad, relaxed, surprised, aa, ih, ou, ee, oh, blink, blinkLeft, blinkRight,
        lookUp, lookDown, lookLeft, lookRight, neutral,
    }

    public struct ExpressionKey : IEquatable<ExpressionKey>
    {
        public readonly ExpressionPreset Preset;
        public readonly string Name;

        public ExpressionKey(ExpressionPreset preset, string customName)
        {
            Preset = preset;
            Name = preset == ExpressionPreset.custom ? customName : preset.ToString();
        }

        public static ExpressionKey CreateCustom(string key) { return new ExpressionKey(ExpressionPreset.custom, key); }
        public static ExpressionKey CreateFromPreset(ExpressionPreset preset) { return new ExpressionKey(preset, null); }

        public bool Equals(ExpressionKey other) { return Preset == other.Preset && (Preset != ExpressionPreset.custom || Name == other.Name); }
        public override bool Equals(object obj) { return obj is ExpressionKey && Equals((ExpressionKey)obj); }
        public override int GetHashCode() { return Name == null ? 0 : Name.GetHashCode(); }
        public override string ToString() { return Name; }
    }

    public sealed class Vrm10RuntimeExpression
    {
        internal readonly List<ExpressionKey> Keys = new List<ExpressionKey>();
        internal readonly Dictionary<ExpressionKey, float> Weights = new Dictionary<ExpressionKey, float>();

        internal Vrm10RuntimeExpression() { }

        public IReadOnlyList<ExpressionKey> ExpressionKeys { get { return Keys; } }

        public void SetWeight(ExpressionKey expressionKey, float weight)
        {
            if (Weights.ContainsKey(expressionKey)) Weights[expressionKey] = weight; // like UniVRM: unknown keys are ignored
        }

        public float GetWeight(ExpressionKey expressionKey)
        {
            float w;
            return Weights.TryGetValue(expressionKey, out w) ? w : 0f;
        }
    }

    public class Vrm10Runtime : IDisposable
    {
        readonly Vrm10RuntimeExpression _expression = new Vrm10RuntimeExpression();

        internal Vrm10Runtime() { }

        public Vrm10RuntimeExpression Expression { get { return _expression; } }
        public void Dispose() { }
    }

    public class Vrm10Instance : MonoBehaviour
    {
        readonly Vrm10Runtime _runtime = new Vrm10Runtime();

        public Vrm10Instance() { }

        public Vrm10Runtime Runtime { get { return _runtime; } }
    }
}

namespace VRM
{
    public enum BlendShapePreset
    {
        Unknown, Neutral, A, I, U, E, O, Blink, Joy, Angry, Sorrow, Fun, LookUp, LookDown, LookLeft, LookRight,
        Blink_L, Blink_R,
    }

    public class BlendShapeClip : ScriptableObject
    {
        public string BlendShapeName = "";
        public BlendShapePreset Preset;

        public BlendShapeClip() { }
    }

    public class BlendShapeAvatar : ScriptableObject
    {
        public List<BlendShapeClip> Clips = new List<BlendShapeClip>();

        public BlendShapeAvatar() { }
    }

    public struct BlendShapeKey : IEquatable<BlendShapeKey>
    {
        readonly string _name;
        public readonly BlendShapePreset Preset;

        BlendShapeKey(string name, BlendShapePreset preset) { _name = preset == BlendShapePreset.Unknown ? name : preset.ToString(); Preset = preset; }

        public string Name { get { return _name; } }

        public static BlendShapeKey CreateFromClip(BlendShapeClip clip)
        {
            return clip == null ? default(BlendShapeKey) : new BlendShapeKey(clip.BlendShapeName, clip.Preset);
        }

        public bool Equals(BlendShapeKey other) { return Preset == other.Preset && (Preset != BlendShapePreset.Unknown || _name == other._name); }
        public override bool Equals(object obj) { return obj is BlendShapeKey && Equals((BlendShapeKey)obj); }
        public override int GetHashCode() { return (int)Preset; }
        public override string ToString() { return _name; }
    }

    public class VRMBlendShapeProxy : MonoBehaviour
    {
        internal readonly Dictionary<BlendShapeKey, float> Accumulated = new Dictionary<BlendShapeKey, float>();
        internal readonly Dictionary<BlendShapeKey, float> Applied = new Dictionary<BlendShapeKey, float>();

        public BlendShapeAvatar BlendShapeAvatar;

        public VRMBlendShapeProxy() { }

        public void AccumulateValue(BlendShapeKey key, float value) { Accumulated[key] = value; }

        public void Apply()
        {
            foreach (var kv in Accumulated) Applied[kv.Key] = kv.Value;
        }

        public float GetValue(BlendShapeKey key)
        {
            float v;
            return Applied.TryGetValue(key, out v) ? v : 0f;
        }
    }
}
