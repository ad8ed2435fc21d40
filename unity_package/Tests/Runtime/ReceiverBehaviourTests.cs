using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using FaceBridge.Core;
using NUnit.Framework;
using UnityEngine;
using Object = UnityEngine.Object;

namespace FaceBridge.Tests
{
    /// <summary>The receiver component: Inject before/while listening, Inspector edits in Play mode, sharing, own OSC.</summary>
    public class ReceiverBehaviourTests
    {
        readonly List<Object> _created = new List<Object>();

        [TearDown]
        public void TearDown()
        {
            foreach (var o in _created) Object.DestroyImmediate(o);
            _created.Clear();
        }

        FaceBridgeReceiver Inactive(string name, out GameObject go)
        {
            go = new GameObject(name);
            _created.Add(go);
            go.SetActive(false); // configure before OnEnable opens the default port (it may be in use)
            var receiver = go.AddComponent<FaceBridgeReceiver>();
            receiver.BindAddress = "127.0.0.1";
            return receiver;
        }

        static int FreePort()
        {
            var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)probe.Client.LocalEndPoint).Port;
            probe.Close();
            return port;
        }

        static bool PortIsFree(int port)
        {
            try { new UdpClient(new IPEndPoint(IPAddress.Loopback, port)).Close(); return true; }
            catch (SocketException) { return false; }
        }

        static void Send(int port, params byte[][] datagrams)
        {
            using (var sender = new UdpClient())
                foreach (var d in datagrams) sender.Send(d, d.Length, new IPEndPoint(IPAddress.Loopback, port));
        }

        static void PollUntil(Func<bool> condition, params FaceBridgeReceiver[] receivers)
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!condition() && DateTime.UtcNow < deadline)
            {
                foreach (var r in receivers) r.Poll();
                Thread.Sleep(5);
            }
        }

        static readonly byte[] Names = TestPackets.Names(5, "arkit52", TestPackets.Arkit52);

        static byte[] FrameOf(int seq, float value)
        {
            var values = new float[52];
            for (int i = 0; i < 52; i++) values[i] = value;
            return TestPackets.Frame(seq, 5, values);
        }

        [Test]
        public void InjectBeforeEnableKeepsTheFrameAndEnablingStartsListening()
        {
            GameObject go;
            var receiver = Inactive("Avatar", out go);
            receiver.Port = 0;
            var frame = FrameOf(1, 0.5f);
            receiver.Inject(Names, Names.Length);
            receiver.Inject(frame, frame.Length);
            Assert.IsFalse(receiver.IsListening);
            go.SetActive(true); // OnEnable
            Assert.IsTrue(receiver.IsListening, receiver.StatusText);
            Assert.Greater(receiver.BoundPort, 0);
            Assert.IsTrue(receiver.Poll());
            Assert.AreEqual(0.5f, receiver.Frame.Values[0]);
            Send(receiver.BoundPort, FrameOf(2, 0.75f));
            PollUntil(() => receiver.Frame.Sequence == 2, receiver);
            Assert.AreEqual(0.75f, receiver.Frame.Values[0], "the injected receiver is the listening one");
        }

        [Test]
        public void InjectWhileListeningDecodesOnTheCallersTurnWithoutRacingTheSocket()
        {
            GameObject go;
            var receiver = Inactive("Avatar", out go);
            receiver.Port = 0;
            go.SetActive(true);
            Assert.IsTrue(receiver.IsListening);
            var frame = FrameOf(1, 0.25f);
            receiver.Inject(Names, Names.Length);
            receiver.Inject(frame, frame.Length);
            Assert.IsTrue(receiver.Poll());
            Assert.AreEqual(0.25f, receiver.Frame.Values[3]);
            Assert.AreEqual(2, receiver.Statistics.Decoder.Packets);
            Assert.IsTrue(receiver.IsListening, "still listening after injecting");
        }

        [Test]
        public void ChangingThePortInThePlayModeInspectorReopensTheSocket()
        {
            GameObject go;
            var receiver = Inactive("Avatar", out go);
            int first = FreePort();
            receiver.Port = first;
            go.SetActive(true);
            Assert.IsTrue(receiver.IsListening, receiver.StatusText);
            Assert.IsFalse(PortIsFree(first));
            int second = FreePort();
            Inspector.Set(receiver, "_port", second);
            Assert.AreEqual(second, receiver.BoundPort);
            Assert.IsTrue(PortIsFree(first), "the old port is closed");
            Send(second, Names, FrameOf(1, 0.5f));
            PollUntil(() => receiver.HasFrame, receiver);
            Assert.IsTrue(receiver.HasFrame);
        }

        [Test]
        public void ChangingProtocolOrBindAddressInPlayModeReopensTheSocket()
        {
            GameObject go;
            var receiver = Inactive("Avatar", out go);
            receiver.Port = FreePort();
            go.SetActive(true);
            Inspector.Set(receiver, "_protocol", ReceiverProtocol.Vmc);
            Assert.IsTrue(receiver.IsListening);
            Send(receiver.BoundPort, TestPackets.Vmc(new[] { "Joy" }, new[] { 0.5f }));
            PollUntil(() => receiver.HasFrame, receiver);
            Assert.AreEqual("vmc", receiver.Frame.Rig);
            Inspector.Set(receiver, "_bindAddress", "0.0.0.0");
            Assert.IsTrue(receiver.IsListening, receiver.StatusText);
            StringAssert.Contains("0.0.0.0", receiver.StatusText + " " + receiver.BindAddress);
        }

        [Test]
        public void APortInUseIsReportedOnceAndRetriedWhenTheSettingChanges()
        {
            var blocker = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
            try
            {
                int busy = ((IPEndPoint)blocker.Client.LocalEndPoint).Port;
                GameObject go;
                var receiver = Inactive("Avatar", out go);
                receiver.Port = busy;
                var errors = new List<string>();
                Application.LogCallback collect = null;
                collect = (condition, stack, type) => { if (type == LogType.Error) errors.Add(condition); };
                Application.logMessageReceived += collect;
                try
                {
                    go.SetActive(true);
                    Assert.IsFalse(receiver.IsListening);
                    StringAssert.Contains("cannot listen on 127.0.0.1:" + busy, receiver.StatusText);
                    Inspector.Call(receiver, "Update");
                    Inspector.Call(receiver, "Update");
                    Inspector.Set(receiver, "_port", 0);
                    Assert.IsTrue(receiver.IsListening, "a new port in the Inspector is tried at once");
                }
                finally
                {
                    Application.logMessageReceived -= collect;
                }
                Assert.AreEqual(1, errors.Count, "one clear error, not one per frame");
            }
            finally
            {
                blocker.Close();
            }
        }

        [Test]
        public void ReceiversWithTheSameSettingsShareOneSocketAndBothGetEveryFrame()
        {
            int port = FreePort();
            GameObject a, b;
            var first = Inactive("Avatar A", out a);
            var second = Inactive("Avatar B", out b);
            first.Port = port;
            second.Port = port;
            a.SetActive(true);
            b.SetActive(true);
            Assert.IsTrue(first.IsListening, first.StatusText);
            Assert.IsTrue(second.IsListening, second.StatusText);
            Assert.AreEqual(2, first.SharedBy);
            Send(port, Names, FrameOf(1, 0.5f));
            PollUntil(() => first.HasFrame && second.HasFrame, first, second);
            Assert.IsTrue(first.HasFrame && second.HasFrame, "one stream, two avatars");
            b.SetActive(false);
            Assert.IsTrue(first.IsListening, "the other avatar keeps the socket");
            Assert.AreEqual(1, first.SharedBy);
        }

        [Test]
        public void AConnectionAssetProvidesTheSettings()
        {
            var connection = ScriptableObject.CreateInstance<FaceBridgeConnection>();
            _created.Add(connection);
            connection.Port = FreePort();
            connection.BindAddress = "127.0.0.1";
            connection.ConnectionTimeout = 2.5f;
            GameObject go;
            var receiver = Inactive("Avatar", out go);
            receiver.Connection = connection;
            go.SetActive(true);
            Assert.AreEqual(connection.Port, receiver.BoundPort);
            Assert.AreEqual(2.5f, receiver.ConnectionTimeout);
            int moved = FreePort();
            connection.Port = moved;           // edited in the asset's Inspector
            Inspector.Call(receiver, "Update"); // receivers follow their asset
            Assert.AreEqual(moved, receiver.BoundPort);
        }

        [Test]
        public void AddressListenersGetYourOwnOscOnTheMainThread()
        {
            GameObject go;
            var receiver = Inactive("Avatar", out go);
            receiver.Port = 0;
            float knob = -1f;
            int calls = 0;
            receiver.AddAddressListener("/my/knob", m => { m.TryGetFloat(0, out knob); calls++; });
            go.SetActive(true);
            Send(receiver.BoundPort, TestPackets.Message("/my/knob", 0.25f), TestPackets.Message("/my/knob", 0.5f));
            PollUntil(() => calls > 0 && receiver.Statistics.Decoder.Packets >= 2, receiver);
            receiver.Poll();
            Assert.AreEqual(0.5f, knob, "the newest value");
            receiver.Inject(TestPackets.Message("/my/knob", 0.75f), TestPackets.Message("/my/knob", 0.75f).Length);
            receiver.Poll();
            Assert.AreEqual(0.75f, knob);
            Assert.AreEqual(0, receiver.Statistics.Decoder.Malformed);
        }

        [Test]
        public void TheReceiversUpdateAllocatesNothingPerFrame()
        {
            var method = typeof(GC).GetMethod("GetAllocatedBytesForCurrentThread",
                System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static);
            if (method == null) Assert.Ignore("this runtime cannot count allocations per thread");
            var allocated = (Func<long>)Delegate.CreateDelegate(typeof(Func<long>), method);
            GameObject go;
            var receiver = Inactive("Avatar", out go);
            receiver.Port = 0;
            receiver.AddAddressListener("/my/knob", m => { });
            go.SetActive(true);
            var frames = new byte[400][];
            for (int i = 0; i < frames.Length; i++) frames[i] = FrameOf(i + 1, (i % 10) / 10f);
            var knob = TestPackets.Message("/my/knob", 0.5f);
            receiver.Inject(Names, Names.Length);
            for (int i = 0; i < 8; i++) { receiver.Inject(frames[i], frames[i].Length); Inspector.Call(receiver, "Update"); }
            var update = (Action)Delegate.CreateDelegate(typeof(Action), receiver, "Update");
            int versionBefore = receiver.FrameVersion;
            long before = allocated();
            for (int i = 8; i < frames.Length; i++)
            {
                receiver.Inject(frames[i], frames[i].Length);
                receiver.Inject(knob, knob.Length);
                update();
            }
            long after = allocated();
            Assert.AreEqual(frames.Length - 8, receiver.FrameVersion - versionBefore, "every frame was taken");
            Assert.AreEqual(0L, after - before, "Update (settings check, own-OSC dispatch, frame take) must not allocate");
        }

        [Test]
        public void LatencyIsMeasuredFromTheFramesCaptureTime()
        {
            GameObject go;
            var receiver = Inactive("Avatar", out go);
            double now = (DateTime.UtcNow - new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc)).TotalSeconds;
            var frame = TestPackets.Frame(1, 5, new float[52], timetag: TestPackets.Ntp(now - 0.040));
            receiver.Inject(Names, Names.Length);
            receiver.Inject(frame, frame.Length);
            Assert.IsTrue(receiver.Poll());
            Assert.GreaterOrEqual(receiver.LatencySeconds, 0.039);
            Assert.Less(receiver.LatencySeconds, 5.0);
            var untimed = TestPackets.Frame(2, 5, new float[52]);
            receiver.Inject(untimed, untimed.Length);
            receiver.Poll();
            Assert.IsTrue(double.IsNaN(receiver.LatencySeconds), "no timetag: unknown, not 0");
        }
    }
}
