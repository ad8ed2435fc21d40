using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using FaceBridge.Core;
using NUnit.Framework;

namespace FaceBridge.Tests
{
    public class UdpFrameReceiverTests
    {
        static float[] Filled(int n, float v)
        {
            var a = new float[n];
            for (int i = 0; i < n; i++) a[i] = v;
            return a;
        }

        [Test]
        public void ReceivesOverLoopbackAndTheNewestFrameWins()
        {
            using (var receiver = new UdpFrameReceiver(ReceiverProtocol.FaceBridge, "127.0.0.1", 0))
            using (var sender = new UdpClient())
            {
                Assert.IsTrue(receiver.Start());
                var target = new IPEndPoint(IPAddress.Loopback, receiver.BoundPort);
                var names = TestPackets.Names(5, "arkit52", TestPackets.Arkit52);
                sender.Send(names, names.Length, target);
                for (int seq = 1; seq <= 20; seq++)
                {
                    var p = TestPackets.Frame(seq, 5, Filled(52, seq / 20f));
                    sender.Send(p, p.Length, target);
                }
                var deadline = DateTime.UtcNow.AddSeconds(10);
                while (receiver.Statistics.Decoder.Frames < 20 && DateTime.UtcNow < deadline) Thread.Sleep(5);
                var frame = new FaceFrame();
                Assert.IsTrue(receiver.TryTakeLatest(frame));
                Assert.AreEqual(20, frame.Sequence, "only the newest frame is handed over");
                Assert.AreEqual(1f, frame.Values[51]);
                Assert.IsFalse(receiver.TryTakeLatest(frame), "nothing new since");
                var stats = receiver.Statistics;
                Assert.AreEqual(20, stats.Decoder.Frames);
                Assert.AreEqual(19, stats.FramesSuperseded);
                Assert.AreEqual(0, stats.Decoder.Lost);
                Assert.Less(stats.SecondsSinceLastPacket, 10.0);
            }
        }

        [Test, Timeout(60000)]
        public void FramesTakenWhileReceivingAreNeverTorn()
        {
            // Every frame carries 52 copies of (sequence / 1000): a frame mixed from two packets would show it.
            using (var receiver = new UdpFrameReceiver(ReceiverProtocol.FaceBridge, "127.0.0.1", 0))
            using (var sender = new UdpClient())
            {
                Assert.IsTrue(receiver.Start());
                var target = new IPEndPoint(IPAddress.Loopback, receiver.BoundPort);
                var names = TestPackets.Names(5, "arkit52", TestPackets.Arkit52);
                sender.Send(names, names.Length, target);
                const int count = 1000;
                var packets = new byte[count][];
                for (int i = 0; i < count; i++) packets[i] = TestPackets.Frame(i + 1, 5, Filled(52, (i + 1) / 1000f));
                var thread = new Thread(() =>
                {
                    for (int i = 0; i < count; i++)
                    {
                        sender.Send(packets[i], packets[i].Length, target);
                        if (i % 10 == 9) Thread.Sleep(1); // paced so a busy machine drops nothing
                    }
                });
                thread.Start();
                var frame = new FaceFrame();
                int taken = 0, lastSequence = 0;
                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (lastSequence < count && DateTime.UtcNow < deadline)
                {
                    if (!receiver.TryTakeLatest(frame)) { Thread.Sleep(0); continue; }
                    taken++;
                    Assert.Greater(frame.Sequence, lastSequence, "frames are handed over in order");
                    lastSequence = frame.Sequence;
                    float expected = frame.Sequence / 1000f;
                    for (int k = 0; k < 52; k++) Assert.AreEqual(expected, frame.Values[k], "torn frame");
                }
                thread.Join();
                Assert.Greater(taken, 1);
                Assert.AreEqual(count, lastSequence, "the newest frame is always delivered in the end");
            }
        }

        [Test]
        public void APortInUseGivesAClearErrorInsteadOfAnException()
        {
            using (var first = new UdpFrameReceiver(ReceiverProtocol.FaceBridge, "127.0.0.1", 0))
            {
                Assert.IsTrue(first.Start());
                using (var second = new UdpFrameReceiver(ReceiverProtocol.FaceBridge, "127.0.0.1", first.BoundPort))
                {
                    Assert.IsFalse(second.Start());
                    StringAssert.Contains("cannot listen on 127.0.0.1:" + first.BoundPort, second.Statistics.Error);
                }
            }
            using (var bad = new UdpFrameReceiver(ReceiverProtocol.FaceBridge, "localhost-ish", 0))
            {
                Assert.IsFalse(bad.Start());
                StringAssert.Contains("not an IP address", bad.Statistics.Error);
            }
        }

        [Test]
        public void StopIsPromptAndIdempotent()
        {
            var receiver = new UdpFrameReceiver(ReceiverProtocol.Vmc, "127.0.0.1", 0);
            Assert.IsTrue(receiver.Start());
            receiver.Stop();
            receiver.Stop();
            Assert.IsFalse(receiver.Statistics.Listening);
        }
    }
}
