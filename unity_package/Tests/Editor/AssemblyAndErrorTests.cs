using System;
using System.Collections.Generic;
using FaceBridge.Core;
using NUnit.Framework;

namespace FaceBridge.Tests
{
    /// <summary>Big rigs over several datagrams, duplicates, incomplete-frame reasons and exceptions inside the decoder.</summary>
    public class FrameAssemblyTests
    {
        static float[] Ramp(int n, float offset)
        {
            var v = new float[n];
            for (int i = 0; i < n; i++) v[i] = offset + i / (float)n;
            return v;
        }

        static string[] Names(int n)
        {
            var names = new string[n];
            for (int i = 0; i < n; i++) names[i] = "shape" + i;
            return names;
        }

        static bool Feed(FacebridgeDecoder d, byte[] data) { return d.Decode(data, data.Length); }

        [Test]
        public void AThreeDatagramRigWithADuplicatedContinuationWaitsForTheMissingTail()
        {
            var d = new FacebridgeDecoder();
            Feed(d, TestPackets.Names(7, "big", Names(600)));
            var first = TestPackets.SplitFrame(1, 7, Ramp(600, 0f), 200, 400);
            foreach (var p in first) Feed(d, p);
            Assert.AreEqual(1, d.Statistics.Frames);
            var old = (float[])d.Frame.Values.Clone();

            var second = TestPackets.SplitFrame(2, 7, Ramp(600, 1f), 200, 400);
            Assert.IsFalse(Feed(d, second[0]));
            Assert.IsFalse(Feed(d, second[1]));
            Assert.IsFalse(Feed(d, second[1]), "the repeated middle datagram must not stand in for the lost tail");
            Assert.AreEqual(1, d.Statistics.Frames, "frame 2 is incomplete: values 400..599 never arrived");
            Assert.AreEqual(old[599], d.Frame.Values[599], "no stale tail is published");
            Assert.AreEqual(1, d.Statistics.Duplicates);

            var third = TestPackets.SplitFrame(3, 7, Ramp(600, 2f), 200, 400);
            foreach (var p in third) Feed(d, p);
            Assert.AreEqual(2, d.Statistics.Frames);
            Assert.AreEqual(1, d.Statistics.MissingValues, "frame 2 counted as missing values, not as waiting for names");
            Assert.AreEqual(0, d.Statistics.WaitingForNames);
            Assert.AreEqual(IncompleteReason.MissingValues, d.Statistics.LastIncomplete);
            Assert.AreEqual(2f + 599 / 600f, d.Frame.Values[599], 1e-6);
        }

        [Test]
        public void DuplicatesInEveryPositionStillPublishTheFrameExactlyOnce()
        {
            var d = new FacebridgeDecoder();
            Feed(d, TestPackets.Names(7, "big", Names(600)));
            var parts = TestPackets.SplitFrame(5, 7, Ramp(600, 0.5f), 200, 400);
            int published = 0;
            foreach (var p in new[] { parts[0], parts[0], parts[1], parts[2], parts[1], parts[2], parts[0] })
                if (Feed(d, p)) published++;
            Assert.AreEqual(1, published);
            Assert.AreEqual(1, d.Statistics.Frames);
            Assert.AreEqual(0, d.Statistics.Lost);
            Assert.AreEqual(0, d.Statistics.Malformed);
            Assert.GreaterOrEqual(d.Statistics.Duplicates, 3);
            CollectionAssert.AreEqual(Ramp(600, 0.5f), new List<float>(d.Frame.Values).GetRange(0, 600));
        }

        [Test]
        public void ADuplicatedSmallFrameIsNotCountedTwice()
        {
            var d = new FacebridgeDecoder();
            Feed(d, TestPackets.Names(5, "arkit52", TestPackets.Arkit52));
            var frame = TestPackets.Frame(1, 5, Ramp(52, 0f));
            Assert.IsTrue(Feed(d, frame));
            Assert.IsFalse(Feed(d, frame));
            Assert.AreEqual(1, d.Statistics.Frames);
            Assert.AreEqual(1, d.Statistics.Duplicates);
            Assert.AreEqual(0, d.Statistics.Lost, "a repeated sequence number is neither loss nor a restart");
        }

        [Test]
        public void IncompleteFramesAreCountedByTheirReason()
        {
            var d = new FacebridgeDecoder();
            Feed(d, TestPackets.Frame(1, 5, Ramp(52, 0f)));        // table 5 unknown
            Feed(d, TestPackets.Names(5, "arkit52", TestPackets.Arkit52)); // completes frame 1
            var w = new OscWriter(new byte[4096]);
            w.BeginBundle(1);
            w.BeginMessage("/fb/v1/frame"); w.AddInt(2); w.AddInt(5); w.AddInt(52); w.EndMessage();
            w.BeginMessage("/fb/v1/values"); w.AddInt(2); w.AddInt(5); w.AddInt(0);
            for (int i = 0; i < 52; i++) w.AddFloat(0f);
            w.EndMessage();
            w.EndBundle();
            Assert.IsFalse(d.Decode(w.Buffer, w.Length), "no tracking/emotion: incomplete");
            Feed(d, TestPackets.Frame(3, 9, Ramp(52, 0f)));        // frame 2 ends incomplete; frame 3's table 9 unknown
            Feed(d, TestPackets.Frame(4, 5, Ramp(52, 0f)));        // frame 3 ends waiting for names
            var s = d.Statistics;
            Assert.AreEqual(1, s.MissingParts);
            Assert.AreEqual(1, s.WaitingForNames);
            Assert.AreEqual(0, s.MissingValues);
            Assert.AreEqual(IncompleteReason.WaitingForNames, s.LastIncomplete);
        }

        sealed class Recorder : IOscMessageHandler
        {
            public readonly List<string> Addresses = new List<string>();
            public void OnMessage(OscMessage message) { Addresses.Add(message.GetAddress()); }
        }

        sealed class Thrower : IOscMessageHandler
        {
            public void OnMessage(OscMessage message) { throw new InvalidOperationException("handler bug"); }
        }

        [Test]
        public void OtherAddressesGoToTheFallbackInsteadOfBeingIgnored()
        {
            var d = new FacebridgeDecoder();
            var fallback = new Recorder();
            d.Fallback = fallback;
            var p = TestPackets.Message("/my/knob", 0.5f);
            Assert.IsFalse(d.Decode(p, p.Length));
            CollectionAssert.AreEqual(new[] { "/my/knob" }, fallback.Addresses);
            Assert.AreEqual(0, d.Statistics.Ignored);

            var vmc = new VmcBlendshapeDecoder();
            var vmcFallback = new Recorder();
            vmc.Fallback = vmcFallback;
            var bone = TestPackets.Message("/VMC/Ext/Root/Pos", 1f, 2f);
            vmc.Decode(bone, bone.Length);
            CollectionAssert.AreEqual(new[] { "/VMC/Ext/Root/Pos" }, vmcFallback.Addresses);
        }

        [Test]
        public void AnExceptionInsideDecodingIsAnInternalErrorWithItsMessageNotAMalformedPacket()
        {
            var d = new FacebridgeDecoder { Fallback = new Thrower() };
            var p = TestPackets.Message("/my/knob", 0.5f);
            Assert.IsFalse(d.Decode(p, p.Length));
            var s = d.Statistics;
            Assert.AreEqual(1, s.InternalErrors);
            Assert.AreEqual(0, s.Malformed, "the sender did nothing wrong");
            StringAssert.Contains("InvalidOperationException: handler bug", s.LastInternalError);
            // The decoder keeps working afterwards.
            d.Fallback = null;
            Feed(d, TestPackets.Names(5, "arkit52", TestPackets.Arkit52));
            Assert.IsTrue(Feed(d, TestPackets.Frame(1, 5, Ramp(52, 0f))));
        }
    }

    public class AddressRouterTests
    {
        static void Feed(OscAddressRouter router, byte[] packet)
        {
            new OscParser().Parse(packet, packet.Length, router);
        }

        [Test]
        public void TheNewestMessagePerAddressIsDispatchedOnce()
        {
            var router = new OscAddressRouter();
            var got = new List<float>();
            router.AddListener("/my/knob", m => { float v; m.TryGetFloat(0, out v); got.Add(v); });
            Feed(router, TestPackets.Message("/my/knob", 0.25f));
            Feed(router, TestPackets.Message("/my/knob", 0.75f));
            Assert.AreEqual(1, router.Dispatch(null));
            CollectionAssert.AreEqual(new[] { 0.75f }, got, "coalesced: the newest value wins, nothing queues up");
            Assert.AreEqual(0, router.Dispatch(null), "nothing new");
            long received, coalesced;
            Assert.IsTrue(router.TryGetCounts("/my/knob", out received, out coalesced));
            Assert.AreEqual(2, received);
            Assert.AreEqual(1, coalesced);
        }

        [Test]
        public void UnregisteredAddressesAreCountedAndRemovedListenersStop()
        {
            var router = new OscAddressRouter();
            int calls = 0;
            Action<OscMessage> callback = m => calls++;
            router.AddListener("/a", callback);
            Feed(router, TestPackets.Message("/b", 1f));
            Assert.AreEqual(1, router.Unhandled);
            Assert.IsTrue(router.RemoveListener("/a", callback));
            Assert.AreEqual(0, router.AddressCount);
            Feed(router, TestPackets.Message("/a", 1f));
            router.Dispatch(null);
            Assert.AreEqual(0, calls);
            Assert.Throws<ArgumentException>(() => router.AddListener("no-slash", callback));
        }

        [Test]
        public void AThrowingCallbackIsReportedAndTheOthersStillRun()
        {
            var router = new OscAddressRouter();
            var errors = new List<Exception>();
            int second = 0;
            router.AddListener("/x", m => { throw new InvalidOperationException("user bug"); });
            router.AddListener("/x", m => second++);
            Feed(router, TestPackets.Message("/x", 1f));
            router.Dispatch(errors.Add);
            Assert.AreEqual(1, second);
            Assert.AreEqual(1, errors.Count);
            Assert.AreEqual("user bug", errors[0].Message);
        }

        [Test]
        public void MessagesKeepTheirArgumentsAndTimetag()
        {
            var router = new OscAddressRouter();
            int i = 0; float f = 0f; string s = null; ulong tt = 0;
            router.AddListener("/mixed", m => { m.TryGetInt(0, out i); m.TryGetFloat(1, out f); s = m.GetString(2); tt = m.Timetag; });
            var w = new OscWriter(new byte[256]);
            w.BeginBundle(TestPackets.Ntp(1700000000.0));
            w.BeginMessage("/mixed"); w.AddInt(7); w.AddFloat(0.5f); w.AddString("hey"); w.EndMessage();
            w.EndBundle();
            new OscParser().Parse(w.Buffer, w.Length, router);
            router.Dispatch(null);
            Assert.AreEqual(7, i);
            Assert.AreEqual(0.5f, f);
            Assert.AreEqual("hey", s);
            Assert.AreEqual(TestPackets.Ntp(1700000000.0), tt);
        }
    }
}
