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

        static int FreePort()
        {
            var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)probe.Client.LocalEndPoint).Port;
            probe.Close();
            return port;
        }

        static void WaitFor(Func<bool> condition, string what)
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!condition() && DateTime.UtcNow < deadline) Thread.Sleep(5);
            Assert.IsTrue(condition(), what);
        }

        [Test]
        public void InjectBeforeStartDecodesAndStartKeepsWhatWasDecoded()
        {
            using (var receiver = new UdpFrameReceiver(ReceiverProtocol.FaceBridge, "127.0.0.1", 0))
            {
                var names = TestPackets.Names(5, "arkit52", TestPackets.Arkit52);
                var frame = TestPackets.Frame(1, 5, Filled(52, 0.5f));
                receiver.Inject(names, names.Length);
                receiver.Inject(frame, frame.Length);
                Assert.IsFalse(receiver.IsRunning);
                Assert.IsTrue(receiver.Start());
                Assert.IsTrue(receiver.IsRunning);
                Assert.IsTrue(receiver.Statistics.Listening);
                var taken = new FaceFrame();
                Assert.IsTrue(receiver.TryTakeLatest(taken));
                Assert.AreEqual(0.5f, taken.Values[0]);
            }
        }

        [Test, Timeout(60000)]
        public void InjectWhileListeningNeverDecodesOnTwoThreadsAtOnce()
        {
            // Two threads in one decoder corrupt its reused parser and frame state (packets then look malformed or
            // throw); serialized decoding keeps every packet clean. The socket thread and Inject overlap for a while.
            using (var receiver = new UdpFrameReceiver(ReceiverProtocol.FaceBridge, "127.0.0.1", 0))
            using (var sender = new UdpClient())
            {
                Assert.IsTrue(receiver.Start());
                var target = new IPEndPoint(IPAddress.Loopback, receiver.BoundPort);
                var names = TestPackets.Names(5, "arkit52", TestPackets.Arkit52);
                receiver.Inject(names, names.Length);
                const int count = 4000;
                var packets = new byte[count][];
                var local = new byte[count][]; // a different layout (no light, another label): offsets differ
                for (int i = 0; i < count; i++)
                {
                    packets[i] = TestPackets.Frame(i + 1, 5, Filled(52, i / (float)count));
                    local[i] = TestPackets.Frame(i + 1, 5, Filled(52, 0.5f), emotionIndex: 2, light: false);
                }
                var done = false;
                var socketThread = new Thread(() =>
                {
                    for (int i = 0; i < count; i++)
                    {
                        sender.Send(packets[i], packets[i].Length, target);
                        if (i % 200 == 199) Thread.Sleep(1); // let the receive thread keep up, but keep overlapping
                    }
                    done = true;
                });
                socketThread.Start();
                int injected = 0, taken = 0, mixed = 0;
                var frame = new FaceFrame();
                while (!Volatile.Read(ref done) || injected < count)
                {
                    var p = local[injected % count];
                    receiver.Inject(p, p.Length);
                    injected++;
                    if (!receiver.TryTakeLatest(frame)) continue;
                    taken++;
                    for (int k = 1; k < 52; k++)
                        if (frame.Values[k] != frame.Values[0]) { mixed++; break; } // values from two packets in one frame
                }
                socketThread.Join();
                Thread.Sleep(200); // the last datagrams in flight
                var s = receiver.Statistics;
                Assert.Greater(s.Decoder.Packets, injected + 100, "the socket thread decoded while Inject ran");
                Assert.Greater(taken, 100);
                Assert.AreEqual(0, mixed, "no frame mixes two packets' values");
                Assert.AreEqual(0, s.Decoder.Malformed, "no packet was decoded half-overwritten");
                Assert.AreEqual(0, s.InternalErrors, s.LastInternalError);
            }
        }

        [Test]
        public void AnExceptionOnTheReceiveThreadIsCountedAndTheThreadKeepsListening()
        {
            using (var receiver = new UdpFrameReceiver(ReceiverProtocol.FaceBridge, "127.0.0.1", 0))
            using (var sender = new UdpClient())
            {
                int seen = 0;
                receiver.DatagramObserver = (buffer, length) =>
                {
                    if (Interlocked.Increment(ref seen) == 1) throw new InvalidOperationException("observer bug");
                };
                Assert.IsTrue(receiver.Start());
                var target = new IPEndPoint(IPAddress.Loopback, receiver.BoundPort);
                var names = TestPackets.Names(5, "arkit52", TestPackets.Arkit52);
                var frame = TestPackets.Frame(1, 5, Filled(52, 0.25f));
                sender.Send(names, names.Length, target);
                sender.Send(frame, frame.Length, target);
                WaitFor(() => receiver.Statistics.Decoder.Frames >= 1, "frames still decode after the exception");
                var s = receiver.Statistics;
                Assert.AreEqual(1, s.InternalErrors);
                StringAssert.Contains("observer bug", s.LastInternalError);
                Assert.IsTrue(s.Listening);
                Assert.IsTrue(receiver.IsRunning);
            }
        }

        [Test]
        public void EachConsumerOfASharedReceiverGetsEveryNewFrame()
        {
            var receiver = new UdpFrameReceiver(ReceiverProtocol.FaceBridge, "127.0.0.1", 0);
            var names = TestPackets.Names(5, "arkit52", TestPackets.Arkit52);
            var frame = TestPackets.Frame(1, 5, Filled(52, 0.5f));
            receiver.Inject(names, names.Length);
            receiver.Inject(frame, frame.Length);
            int a = 0, b = 0;
            var fa = new FaceFrame();
            var fb = new FaceFrame();
            Assert.IsTrue(receiver.TryTakeLatest(fa, ref a));
            Assert.IsTrue(receiver.TryTakeLatest(fb, ref b), "the second avatar gets it too");
            Assert.IsFalse(receiver.TryTakeLatest(fa, ref a));
            Assert.AreEqual(fa.Sequence, fb.Sequence);
        }

        [Test]
        public void YourOwnOscAddressesArriveOnTheSameSocket()
        {
            using (var receiver = new UdpFrameReceiver(ReceiverProtocol.FaceBridge, "127.0.0.1", 0))
            using (var sender = new UdpClient())
            {
                float knob = -1f;
                receiver.Addresses.AddListener("/my/knob", m => m.TryGetFloat(0, out knob));
                Assert.IsTrue(receiver.Start());
                var p = TestPackets.Message("/my/knob", 0.625f);
                sender.Send(p, p.Length, new IPEndPoint(IPAddress.Loopback, receiver.BoundPort));
                WaitFor(() => receiver.Statistics.Decoder.Packets >= 1, "the packet arrived");
                Assert.AreEqual(1, receiver.Addresses.Dispatch(null));
                Assert.AreEqual(0.625f, knob);
            }
        }

        [Test]
        public void ThePoolSharesOneSocketPerPortAndClosesItWithTheLastUser()
        {
            var pool = new ReceiverPool();
            int port = FreePort();
            string error;
            var a = pool.Acquire(ReceiverProtocol.FaceBridge, "127.0.0.1", port, out error);
            Assert.IsNotNull(a, error);
            var b = pool.Acquire(ReceiverProtocol.FaceBridge, "127.0.0.1", port, out error);
            Assert.AreSame(a, b);
            Assert.AreEqual(2, pool.UsersOf(a));
            var vmc = pool.Acquire(ReceiverProtocol.Vmc, "127.0.0.1", port, out error);
            Assert.IsNull(vmc);
            StringAssert.Contains("already open for the FaceBridge protocol", error);
            pool.Release(a);
            Assert.IsTrue(a.IsRunning, "still used by the second consumer");
            pool.Release(b);
            Assert.IsFalse(a.IsRunning);
            Assert.AreEqual(0, pool.OpenCount);
        }
    }
}
