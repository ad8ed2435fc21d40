using System;

namespace FaceBridge.Core
{
    /// <summary>Why tracking is (partly) degraded; mirrors bridge.schema.TrackingFlags (0 = all good).</summary>
    [Flags]
    public enum TrackingFlags
    {
        None = 0,
        CalibratingNeutral = 1 << 0,
        CameraLost = 1 << 1,
        CameraFrozen = 1 << 2,
        TooDark = 1 << 3,
        TooBright = 1 << 4,
        EyeOutOfView = 1 << 5,
        LowConfidence = 1 << 6,
        EasingToNeutral = 1 << 7,
        Paused = 1 << 8,
        NoPersonalization = 1 << 9,
    }

    /// <summary>A light cue: colour 0..1, intensity and how long the change should take.</summary>
    public struct LightCue
    {
        public float R, G, B, Intensity, TransitionSeconds;

        public LightCue(float r, float g, float b, float intensity, float transitionSeconds)
        {
            R = r; G = g; B = b; Intensity = intensity; TransitionSeconds = transitionSeconds;
        }
    }

    /// <summary>
    /// One decoded frame: the rig's values by index into <see cref="Names"/>, emotions, affect, light cue,
    /// tracking flags and confidences. Owned and reused by one thread; copied between threads with CopyFrom.
    /// </summary>
    public sealed class FaceFrame
    {
        /// <summary>The 8 emotions in wire order (FER+ order, bridge.schema.FER8).</summary>
        public static readonly string[] EmotionLabels =
            { "neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt" };

        /// <summary>Regions that carry a confidence, in wire order (bridge.schema.REGIONS).</summary>
        public static readonly string[] Regions = { "left_eye", "right_eye", "mouth", "lower_face" };

        public const int EmotionCount = 8;
        public const int RegionCount = 4;

        /// <summary>Rig name from the names table (e.g. "arkit52"); null until a table arrived.</summary>
        public string Rig;
        /// <summary>Shape names, shared and never modified: a new array arrives with a new table.</summary>
        public string[] Names = new string[0];
        /// <summary>Increments whenever <see cref="Names"/> changes: remap when it does.</summary>
        public int NamesVersion;
        /// <summary>Values by index into Names (only the first ValueCount entries are valid).</summary>
        public float[] Values = new float[0];
        public int ValueCount;

        public int Sequence;
        /// <summary>NTP timetag of the frame's capture time (1 = immediately / unknown).</summary>
        public ulong Timetag = 1;
        public TrackingFlags Flags;
        public readonly float[] Confidence = new float[RegionCount];
        public readonly float[] EmotionProbabilities = new float[EmotionCount];
        public int EmotionIndex;
        public float Valence, Arousal;
        public bool HasLight;
        public LightCue Light;

        /// <summary>The winning emotion label (one of EmotionLabels).</summary>
        public string EmotionLabel { get { return EmotionLabels[EmotionIndex]; } }

        /// <summary>Capture time as Unix seconds (NaN when the sender gave no timetag).</summary>
        public double CaptureUnixSeconds
        {
            get { return Timetag <= 1 ? double.NaN : Timetag / 4294967296.0 - 2208988800.0; }
        }

        /// <summary>Index of a shape by exact name, or -1 (allocation-free; linear, so cache it per NamesVersion).</summary>
        public int IndexOf(string name)
        {
            for (int i = 0; i < Names.Length; i++)
                if (string.Equals(Names[i], name, StringComparison.Ordinal)) return i;
            return -1;
        }

        /// <summary>Make room for <paramref name="count"/> values (allocates only when the rig grows).</summary>
        public void EnsureCapacity(int count)
        {
            if (Values.Length < count) Array.Resize(ref Values, Math.Max(count, Values.Length * 2));
        }

        /// <summary>Copy everything from another frame, reusing this frame's arrays.</summary>
        public void CopyFrom(FaceFrame other)
        {
            Rig = other.Rig;
            Names = other.Names;
            NamesVersion = other.NamesVersion;
            EnsureCapacity(other.ValueCount);
            Array.Copy(other.Values, Values, other.ValueCount);
            ValueCount = other.ValueCount;
            Sequence = other.Sequence;
            Timetag = other.Timetag;
            Flags = other.Flags;
            Array.Copy(other.Confidence, Confidence, RegionCount);
            Array.Copy(other.EmotionProbabilities, EmotionProbabilities, EmotionCount);
            EmotionIndex = other.EmotionIndex;
            Valence = other.Valence;
            Arousal = other.Arousal;
            HasLight = other.HasLight;
            Light = other.Light;
        }
    }
}
