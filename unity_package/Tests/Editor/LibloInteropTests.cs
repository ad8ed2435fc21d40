using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using FaceBridge.Core;
using NUnit.Framework;

namespace FaceBridge.Tests
{
    /// <summary>
    /// Packets written by an independent OSC implementation (liblo's oscsend, C) must decode here.
    /// Ignored where oscsend is not installed (e.g. inside Unity on Windows).
    /// </summary>
    public class LibloInteropTests
    {
        static string FindOscsend()
        {
            string path = Environment.GetEnvironmentVariable("PATH") ?? "";
            foreach (string dir in path.Split(Path.PathSeparator))
            {
                string candidate = Path.Combine(dir, "oscsend");
                if (File.Exists(candidate)) return candidate;
            }
            return null;
        }

        static void OscSend(int port, string address, string types, params string[] values)
        {
            string exe = FindOscsend();
            if (exe == null) Assert.Ignore("liblo's oscsend is not installed (apt-get install liblo-tools)");
            var args = "127.0.0.1 " + port + " " + address + " " + types;
            foreach (var v in values) args += " " + v;
            var psi = new ProcessStartInfo(exe, args) { UseShellExecute = false, RedirectStandardError = true };
            using (var p = Process.Start(psi))
            {
                Assert.IsTrue(p.WaitForExit(10000), "oscsend hung");
                Assert.AreEqual(0, p.ExitCode, "oscsend failed: " + p.StandardError.ReadToEnd());
            }
        }

        [Test]
        public void ParsesEveryTypeLibloWrites()
        {
            using (var socket = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
            {
                socket.Client.ReceiveTimeout = 10000;
                int port = ((IPEndPoint)socket.Client.LocalEndPoint).Port;
                OscSend(port, "/liblo/types", "ihfdsTFN", "42", "-5000000000", "0.5", "2.25", "hello");
                var from = new IPEndPoint(IPAddress.Any, 0);
                byte[] data = socket.Receive(ref from);
                var h = new RecordingHandler();
                Assert.AreEqual(OscParseStatus.Ok, new OscParser().Parse(data, data.Length, h));
                Assert.AreEqual("/liblo/types", h.Addresses[0]);
                Assert.AreEqual("ihfdsTFN", h.Tags[0]);
                var a = h.Args[0];
                Assert.AreEqual(42, a[0]);
                Assert.AreEqual(-5000000000L, a[1]);
                Assert.AreEqual(0.5f, a[2]);
                Assert.AreEqual(2.25, a[3]);
                Assert.AreEqual("hello", a[4]);
                Assert.AreEqual(true, a[5]);
                Assert.AreEqual(false, a[6]);
                Assert.IsNull(a[7]);
            }
        }

        static bool WaitForFrame(UdpFrameReceiver receiver, FaceFrame into)
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < deadline)
            {
                if (receiver.TryTakeLatest(into)) return true;
                Thread.Sleep(5);
            }
            return false;
        }

        [Test]
        public void HandWrittenFacebridgeMessagesFromLibloMakeAFrame()
        {
            using (var receiver = new UdpFrameReceiver(ReceiverProtocol.FaceBridge, "127.0.0.1", 0))
            {
                Assert.IsTrue(receiver.Start());
                int port = receiver.BoundPort;
                // Bare messages (no bundle): the decoder assembles them in order just like a bundle.
                OscSend(port, "/fb/v1/names", "isiiss", "77", "handmade", "2", "0", "jawOpen", "eyeBlink_L");
                OscSend(port, "/fb/v1/frame", "iii", "5", "77", "2");
                OscSend(port, "/fb/v1/tracking", "iffff", "64", "1", "1", "0.5", "0");
                OscSend(port, "/fb/v1/emotion", "isffffffff", "4", "anger", "0", "0", "0", "0", "1", "0", "0", "0");
                OscSend(port, "/fb/v1/light", "fffff", "1", "0", "0", "2", "0.25");
                OscSend(port, "/fb/v1/values", "iiiff", "5", "77", "0", "0.75", "0.125");
                var frame = new FaceFrame();
                Assert.IsTrue(WaitForFrame(receiver, frame), "no frame decoded: " + receiver.Statistics.Decoder.Malformed + " malformed");
                CollectionAssert.AreEqual(new[] { "jawOpen", "eyeBlink_L" }, frame.Names);
                CollectionAssert.AreEqual(new[] { 0.75f, 0.125f }, new[] { frame.Values[0], frame.Values[1] });
                Assert.AreEqual("anger", frame.EmotionLabel);
                Assert.AreEqual(TrackingFlags.LowConfidence, frame.Flags);
                Assert.AreEqual(2f, frame.Light.Intensity);
                Assert.AreEqual(0, receiver.Statistics.Decoder.Malformed);
            }
        }

        [Test]
        public void VmcBlendshapesFromLiblo()
        {
            using (var receiver = new UdpFrameReceiver(ReceiverProtocol.Vmc, "127.0.0.1", 0))
            {
                Assert.IsTrue(receiver.Start());
                OscSend(receiver.BoundPort, "/VMC/Ext/Blend/Val", "sf", "Joy", "0.5");
                OscSend(receiver.BoundPort, "/VMC/Ext/Blend/Val", "sf", "A", "0.25");
                OscSend(receiver.BoundPort, "/VMC/Ext/Blend/Apply", "");
                var frame = new FaceFrame();
                Assert.IsTrue(WaitForFrame(receiver, frame));
                CollectionAssert.AreEqual(new[] { "Joy", "A" }, frame.Names);
                Assert.AreEqual(0.25f, frame.Values[1]);
            }
        }
    }
}
