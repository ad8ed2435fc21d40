using System.Collections.Generic;
using FaceBridge.Core;

namespace FaceBridge.Tests
{
    /// <summary>Builds facebridge v1 datagrams in C# (same layout as the Python encoder) for the tests.</summary>
    public static class TestPackets
    {
        public static readonly string[] Arkit52 = NameMapper.Arkit52Names;

        /// <summary>NTP timetag for Unix seconds.</summary>
        public static ulong Ntp(double unixSeconds)
        {
            double s = unixSeconds + 2208988800.0;
            ulong whole = (ulong)s;
            return (whole << 32) | (ulong)((s - whole) * 4294967296.0);
        }

        /// <summary>One names bundle holding the whole table (small rigs).</summary>
        public static byte[] Names(int tableId, string rig, IList<string> names, ulong timetag = 1)
        {
            var w = new OscWriter(new byte[65536]);
            w.BeginBundle(timetag);
            w.BeginMessage("/fb/v1/names");
            w.AddInt(tableId);
            w.AddString(rig);
            w.AddInt(names.Count);
            w.AddInt(0);
            foreach (var n in names) w.AddString(n);
            w.EndMessage();
            w.EndBundle();
            return Copy(w);
        }

        /// <summary>One frame bundle (header, tracking, emotion, affect, optional light, all values).</summary>
        public static byte[] Frame(int sequence, int tableId, float[] values, int emotionIndex = 1, int flags = 0,
                                   bool light = true, ulong timetag = 1)
        {
            var w = new OscWriter(new byte[65536]);
            w.BeginBundle(timetag);
            w.BeginMessage("/fb/v1/frame");
            w.AddInt(sequence); w.AddInt(tableId); w.AddInt(values.Length);
            w.EndMessage();
            w.BeginMessage("/fb/v1/tracking");
            w.AddInt(flags); w.AddFloat(1f); w.AddFloat(0.75f); w.AddFloat(0.5f); w.AddFloat(0.25f);
            w.EndMessage();
            w.BeginMessage("/fb/v1/emotion");
            w.AddInt(emotionIndex);
            w.AddString(FaceFrame.EmotionLabels[emotionIndex]);
            for (int i = 0; i < FaceFrame.EmotionCount; i++) w.AddFloat(i == emotionIndex ? 0.9f : 0.1f / 7f);
            w.EndMessage();
            w.BeginMessage("/fb/v1/affect");
            w.AddFloat(0.5f); w.AddFloat(-0.5f);
            w.EndMessage();
            if (light)
            {
                w.BeginMessage("/fb/v1/light");
                w.AddFloat(1f); w.AddFloat(0.5f); w.AddFloat(0.25f); w.AddFloat(0.8f); w.AddFloat(0.4f);
                w.EndMessage();
            }
            w.BeginMessage("/fb/v1/values");
            w.AddInt(sequence); w.AddInt(tableId); w.AddInt(0);
            foreach (float v in values) w.AddFloat(v);
            w.EndMessage();
            w.EndBundle();
            return Copy(w);
        }

        /// <summary>
        /// A big rig's frame split like the bridge splits it: the first datagram carries the header, tracking, emotion
        /// and values [0, splits[0]); each further datagram is a continuation bundle with the next values.
        /// </summary>
        public static List<byte[]> SplitFrame(int sequence, int tableId, float[] values, params int[] splits)
        {
            var datagrams = new List<byte[]>();
            var bounds = new List<int>(splits) { values.Length };
            int start = 0;
            for (int part = 0; part < bounds.Count; part++)
            {
                var w = new OscWriter(new byte[65536]);
                w.BeginBundle(1);
                if (part == 0)
                {
                    w.BeginMessage("/fb/v1/frame"); w.AddInt(sequence); w.AddInt(tableId); w.AddInt(values.Length); w.EndMessage();
                    w.BeginMessage("/fb/v1/tracking"); w.AddInt(0); for (int i = 0; i < 4; i++) w.AddFloat(1f); w.EndMessage();
                    w.BeginMessage("/fb/v1/emotion"); w.AddInt(0); w.AddString("neutral");
                    for (int i = 0; i < FaceFrame.EmotionCount; i++) w.AddFloat(i == 0 ? 1f : 0f);
                    w.EndMessage();
                }
                w.BeginMessage("/fb/v1/values"); w.AddInt(sequence); w.AddInt(tableId); w.AddInt(start);
                for (int i = start; i < bounds[part]; i++) w.AddFloat(values[i]);
                w.EndMessage();
                w.EndBundle();
                datagrams.Add(Copy(w));
                start = bounds[part];
            }
            return datagrams;
        }

        /// <summary>One bare OSC message with float arguments (a user's own address).</summary>
        public static byte[] Message(string address, params float[] args)
        {
            var w = new OscWriter(new byte[1024]);
            w.BeginMessage(address);
            foreach (float a in args) w.AddFloat(a);
            w.EndMessage();
            return Copy(w);
        }

        /// <summary>A VMC bundle: Val per name/value pair, then Apply.</summary>
        public static byte[] Vmc(string[] names, float[] values)
        {
            var w = new OscWriter(new byte[8192]);
            w.BeginBundle(1);
            for (int i = 0; i < names.Length; i++)
            {
                w.BeginMessage("/VMC/Ext/Blend/Val"); w.AddString(names[i]); w.AddFloat(values[i]); w.EndMessage();
            }
            w.BeginMessage("/VMC/Ext/Blend/Apply"); w.EndMessage();
            w.EndBundle();
            return Copy(w);
        }

        static byte[] Copy(OscWriter w)
        {
            var data = new byte[w.Length];
            System.Array.Copy(w.Buffer, data, w.Length);
            return data;
        }
    }
}
