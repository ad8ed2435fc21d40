using System.Text;
using FaceBridge.Core;
using NUnit.Framework;

namespace FaceBridge.Tests
{
    public class FacebridgeDecoderTests
    {
        static float[] Ramp(int n)
        {
            var v = new float[n];
            for (int i = 0; i < n; i++) v[i] = i / (float)n;
            return v;
        }

        static bool Feed(FacebridgeDecoder d, byte[] data) { return d.Decode(data, data.Length); }

        [Test]
        public void DecodesAFrameAfterItsNamesTable()
        {
            var d = new FacebridgeDecoder();
            Assert.IsFalse(Feed(d, TestPackets.Names(5, "arkit52", TestPackets.Arkit52)));
            Assert.IsTrue(Feed(d, TestPackets.Frame(1, 5, Ramp(52), emotionIndex: 2, flags: 3, timetag: TestPackets.Ntp(1700000000.5))));
            var f = d.Frame;
            Assert.AreEqual("arkit52", f.Rig);
            Assert.AreEqual(52, f.ValueCount);
            Assert.AreEqual("jawOpen", f.Names[17]);
            Assert.AreEqual(17 / 52f, f.Values[17]);
            Assert.AreEqual("surprise", f.EmotionLabel);
            Assert.AreEqual(0.9f, f.EmotionProbabilities[2]);
            Assert.AreEqual(TrackingFlags.CalibratingNeutral | TrackingFlags.CameraLost, f.Flags);
            Assert.AreEqual(0.75f, f.Confidence[1]);
            Assert.AreEqual(0.5f, f.Valence);
            Assert.AreEqual(-0.5f, f.Arousal);
            Assert.IsTrue(f.HasLight);
            Assert.AreEqual(0.8f, f.Light.Intensity);
            Assert.AreEqual(1700000000.5, f.CaptureUnixSeconds, 1e-6);
            Assert.AreEqual(1, d.Statistics.Frames);
        }

        [Test]
        public void FramesWithoutTheirTableWaitAndAreCounted()
        {
            var d = new FacebridgeDecoder();
            Assert.IsFalse(Feed(d, TestPackets.Frame(1, 5, Ramp(52))));
            Assert.IsFalse(Feed(d, TestPackets.Frame(2, 5, Ramp(52))));
            Assert.AreEqual(1, d.Statistics.WaitingForNames);
            Assert.IsTrue(Feed(d, TestPackets.Names(5, "arkit52", TestPackets.Arkit52)), "the waiting frame completes");
            Assert.AreEqual(2, d.Frame.Sequence);
        }

        [Test]
        public void CountsLostFramesAcrossGapsAndWraparound()
        {
            var d = new FacebridgeDecoder();
            Feed(d, TestPackets.Names(5, "arkit52", TestPackets.Arkit52));
            Feed(d, TestPackets.Frame(10, 5, Ramp(52)));
            Feed(d, TestPackets.Frame(13, 5, Ramp(52)));
            Assert.AreEqual(2, d.Statistics.Lost);
            Feed(d, TestPackets.Frame(int.MaxValue, 5, Ramp(52))); // a jump that looks like a restart: not loss
            Feed(d, TestPackets.Frame(0, 5, Ramp(52)));            // int32 wraparound: consecutive
            Assert.AreEqual(2, d.Statistics.Lost);
            Assert.AreEqual(4, d.Statistics.Frames);
        }

        [Test]
        public void ANewTableReplacesTheOldOneAndBumpsNamesVersion()
        {
            var d = new FacebridgeDecoder();
            Feed(d, TestPackets.Names(5, "arkit52", TestPackets.Arkit52));
            Feed(d, TestPackets.Frame(1, 5, Ramp(52)));
            int version = d.Frame.NamesVersion;
            var names = d.Frame.Names;
            Feed(d, TestPackets.Names(5, "arkit52", TestPackets.Arkit52)); // periodic resend: nothing changes
            Feed(d, TestPackets.Frame(2, 5, Ramp(52)));
            Assert.AreSame(names, d.Frame.Names);
            Assert.AreEqual(version, d.Frame.NamesVersion);
            Feed(d, TestPackets.Names(9, "tiny", new[] { "a", "b" }));
            Assert.IsFalse(Feed(d, TestPackets.Frame(3, 5, Ramp(52))), "values for the old table must not be applied");
            Assert.IsTrue(Feed(d, TestPackets.Frame(4, 9, new[] { 0.25f, 0.5f })));
            CollectionAssert.AreEqual(new[] { "a", "b" }, d.Frame.Names);
            Assert.AreEqual(version + 1, d.Frame.NamesVersion);
        }

        [Test]
        public void InvalidProtocolMessagesMakeThePacketMalformed()
        {
            var d = new FacebridgeDecoder();
            Feed(d, TestPackets.Names(5, "arkit52", TestPackets.Arkit52));
            var bad = TestPackets.Frame(1, 5, Ramp(52), emotionIndex: 1);
            // "happiness" -> "happinesX": label and index disagree
            int at = IndexOf(bad, Encoding.ASCII.GetBytes("happiness"));
            bad[at + 8] = (byte)'X';
            Assert.IsFalse(Feed(d, bad));
            Assert.AreEqual(1, d.Statistics.Malformed);
            Assert.AreEqual(0, d.Statistics.Frames);
            var w = new OscWriter(new byte[256]);
            w.BeginMessage("/fb/v1/frame"); w.AddInt(1); w.AddFloat(2f); w.AddInt(3); w.EndMessage();
            Assert.IsFalse(d.Decode(w.Buffer, w.Length));
            Assert.AreEqual(2, d.Statistics.Malformed);
        }

        [Test]
        public void OtherAddressesAreIgnoredNotMalformed()
        {
            var d = new FacebridgeDecoder();
            var w = new OscWriter(new byte[256]);
            w.BeginMessage("/fb/v2/frame"); w.AddInt(1); w.EndMessage();
            d.Decode(w.Buffer, w.Length);
            w.Reset();
            w.BeginMessage("/avatar/parameters/x"); w.AddFloat(1f); w.EndMessage();
            d.Decode(w.Buffer, w.Length);
            Assert.AreEqual(2, d.Statistics.Ignored);
            Assert.AreEqual(0, d.Statistics.Malformed);
        }

        [Test]
        public void HostileSizesAreRejected()
        {
            var d = new FacebridgeDecoder();
            var w = new OscWriter(new byte[256]);
            w.BeginMessage("/fb/v1/frame"); w.AddInt(1); w.AddInt(5); w.AddInt(int.MaxValue); w.EndMessage();
            Assert.IsFalse(d.Decode(w.Buffer, w.Length));
            w.Reset();
            w.BeginMessage("/fb/v1/names"); w.AddInt(1); w.AddString("r"); w.AddInt(2); w.AddInt(5); w.AddString("x"); w.EndMessage();
            Assert.IsFalse(d.Decode(w.Buffer, w.Length));
            Assert.AreEqual(2, d.Statistics.Malformed);
        }

        static int IndexOf(byte[] haystack, byte[] needle)
        {
            for (int i = 0; i + needle.Length <= haystack.Length; i++)
            {
                int k = 0;
                while (k < needle.Length && haystack[i + k] == needle[k]) k++;
                if (k == needle.Length) return i;
            }
            return -1;
        }
    }

    public class VmcBlendshapeDecoderTests
    {
        static byte[] VmcBundle(params object[] nameValuePairs)
        {
            var w = new OscWriter(new byte[4096]);
            w.BeginBundle(1);
            for (int i = 0; i < nameValuePairs.Length; i += 2)
            {
                w.BeginMessage("/VMC/Ext/Blend/Val");
                w.AddString((string)nameValuePairs[i]);
                w.AddFloat((float)nameValuePairs[i + 1]);
                w.EndMessage();
            }
            w.BeginMessage("/VMC/Ext/Blend/Apply"); w.EndMessage();
            w.BeginMessage("/VMC/Ext/OK"); w.AddInt(1); w.EndMessage();
            w.EndBundle();
            var data = new byte[w.Length];
            System.Array.Copy(w.Buffer, data, w.Length);
            return data;
        }

        [Test]
        public void AppliesValuesOnApplyAndKeepsNamesStable()
        {
            var d = new VmcBlendshapeDecoder();
            var first = VmcBundle("Joy", 0.5f, "Blink_L", 1f);
            Assert.IsTrue(d.Decode(first, first.Length));
            CollectionAssert.AreEqual(new[] { "Joy", "Blink_L" }, d.Frame.Names);
            Assert.AreEqual(0.5f, d.Frame.Values[0]);
            var names = d.Frame.Names;
            var second = VmcBundle("Blink_L", 0.25f, "Joy", 0.75f);
            Assert.IsTrue(d.Decode(second, second.Length));
            Assert.AreSame(names, d.Frame.Names, "known names must not allocate a new table");
            Assert.AreEqual(0.75f, d.Frame.Values[0]);
            Assert.AreEqual(0.25f, d.Frame.Values[1]);
            Assert.AreEqual(2, d.Statistics.Ignored, "one /VMC/Ext/OK per packet is ignored");
        }

        [Test]
        public void IgnoresValMessagesWithWrongTypes()
        {
            var d = new VmcBlendshapeDecoder();
            var w = new OscWriter(new byte[256]);
            w.BeginMessage("/VMC/Ext/Blend/Val"); w.AddInt(3); w.AddFloat(1f); w.EndMessage();
            d.Decode(w.Buffer, w.Length);
            Assert.AreEqual(1, d.Statistics.Ignored);
            Assert.AreEqual(0, d.Statistics.Malformed);
        }
    }
}
