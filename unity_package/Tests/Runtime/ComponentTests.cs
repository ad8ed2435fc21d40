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
    /// <summary>The MonoBehaviours, driven by hand (their Update/LateUpdate only call these public methods).</summary>
    public class ComponentTests
    {
        readonly List<Object> _created = new List<Object>();

        [TearDown]
        public void TearDown()
        {
            foreach (var o in _created) Object.DestroyImmediate(o);
            _created.Clear();
        }

        GameObject NewObject(string name)
        {
            var go = new GameObject(name);
            _created.Add(go);
            return go;
        }

        SkinnedMeshRenderer FaceMesh(string name, params string[] shapes)
        {
            var go = NewObject(name);
            var smr = go.AddComponent<SkinnedMeshRenderer>();
            var mesh = new Mesh();
            mesh.vertices = new Vector3[3];
            foreach (var s in shapes) mesh.AddBlendShapeFrame(s, 100f, new Vector3[3], null, null);
            smr.sharedMesh = mesh;
            return smr;
        }

        static FaceFrame Frame(string[] names, params float[] values)
        {
            var f = new FaceFrame { Names = names, NamesVersion = 1 };
            f.EnsureCapacity(values.Length);
            Array.Copy(values, f.Values, values.Length);
            f.ValueCount = values.Length;
            return f;
        }

        [Test]
        public void BlendshapeDriverAutoMapsScalesAndReportsUnmapped()
        {
            var face = FaceMesh("Face", "blendShape1.EyeBlink_L", "JawOpen", "MTH_Smile", "Extra");
            var teeth = FaceMesh("Teeth", "jawOpen");
            var driver = NewObject("Avatar").AddComponent<BlendshapeDriver>();
            driver.Renderers = new[] { face, teeth };
            driver.Multipliers.Add(new ShapeMultiplier { name = "jawOpen", multiplier = 0.5f });
            driver.Aliases.Add(new ShapeAlias { incoming = "mouthSmileLeft", target = "MTH_Smile" });
            var names = new[] { "eyeBlinkLeft", "jawOpen", "mouthSmileLeft", "tongueOut" };
            driver.Apply(Frame(names, 0.25f, 0.8f, 1.5f, 1f), 0.016f);

            Assert.AreEqual(25f, face.GetBlendShapeWeight(0), 1e-4);
            Assert.AreEqual(40f, face.GetBlendShapeWeight(1), 1e-4, "0.8 x multiplier 0.5 x 100");
            Assert.AreEqual(100f, face.GetBlendShapeWeight(2), 1e-4, "alias; input clamped to 1");
            Assert.AreEqual(40f, teeth.GetBlendShapeWeight(0), 1e-4, "several renderers share the name");
            Assert.AreEqual(4, driver.MappedCount);
            CollectionAssert.AreEqual(new[] { "tongueOut" }, driver.UnmappedIncoming);
            CollectionAssert.AreEqual(new[] { "Face/Extra" }, driver.UnmappedTargets);
        }

        [Test]
        public void BlendshapeDriverRemapsOnANewTable()
        {
            var face = FaceMesh("Face", "jawOpen", "Joy");
            var driver = NewObject("Avatar").AddComponent<BlendshapeDriver>();
            driver.Renderers = new[] { face };
            driver.Apply(Frame(new[] { "jawOpen" }, 0.5f), 0.016f);
            Assert.AreEqual(50f, face.GetBlendShapeWeight(0), 1e-4);
            var vrm = Frame(new[] { "happy" }, 0.75f);
            vrm.NamesVersion = 2;
            driver.Apply(vrm, 0.016f);
            Assert.AreEqual(75f, face.GetBlendShapeWeight(1), 1e-4, "VRM1 'happy' drives VRM0 'Joy'");
        }

        [Test]
        public void EmotionLightingFollowsTheCueSmoothly()
        {
            var lightGo = NewObject("Key light");
            var light = lightGo.AddComponent<Light>();
            var driver = NewObject("Lighting").AddComponent<EmotionLightingDriver>();
            driver.Lights = new[] { light };
            driver.Step(10f); // settle on the idle cue
            var frame = new FaceFrame { HasLight = true, Light = new LightCue(1f, 0f, 0f, 2f, 1f) };
            driver.SetCue(frame);
            driver.Step(0.5f); // halfway from the idle white x 0.5 toward red x 2
            Assert.Greater(light.color.g, 0f);
            Assert.Less(light.color.g, 1f);
            Assert.Greater(light.intensity, 0.5f);
            Assert.Less(light.intensity, 2f);
            driver.Step(0.6f);
            Assert.AreEqual(1f, light.color.r, 1e-5);
            Assert.AreEqual(0f, light.color.g, 1e-5);
            Assert.AreEqual(2f, light.intensity, 1e-5);
            Assert.AreEqual(2f, RenderSettings.ambientLight.r, 1e-5, "ambient = colour x intensity");
        }

        [Test]
        public void EmotionEventsFireOnEnterAndExitAfterTheHold()
        {
            var events = NewObject("Events").AddComponent<EmotionEvents>();
            var trigger = new EmotionTrigger { emotion = Emotion.Happiness, threshold = 0.6f, minimumHoldSeconds = 0.2f };
            events.Triggers.Add(trigger);
            int entered = 0, exited = 0;
            var labels = new List<string>();
            trigger.onEnter.AddListener(() => entered++);
            trigger.onExit.AddListener(() => exited++);
            events.OnLabelChanged.AddListener(labels.Add);

            var happy = new FaceFrame { EmotionIndex = 1 };
            happy.EmotionProbabilities[1] = 0.9f;
            for (int i = 0; i < 3; i++) events.Tick(happy, 0.1f);
            Assert.AreEqual(1, entered);
            Assert.IsTrue(trigger.IsActive);
            events.Tick(null, 0.1f); // disconnected: probabilities count as 0
            Assert.AreEqual(0, exited, "not before the hold");
            events.Tick(null, 0.15f);
            Assert.AreEqual(1, exited);
            CollectionAssert.AreEqual(new[] { "happiness" }, labels);
        }

        [Test]
        public void ReceiverDrivesABlendshapeEndToEndOverUdp()
        {
            var avatar = NewObject("Avatar");
            avatar.SetActive(false); // configure before OnEnable would open the default port (it may be in use)
            var receiver = avatar.AddComponent<FaceBridgeReceiver>();
            receiver.BindAddress = "127.0.0.1";
            receiver.Port = 0;
            Assert.IsTrue(receiver.StartReceiving(), receiver.StatusText);
            var face = FaceMesh("Face", "JawOpen");
            var driver = avatar.AddComponent<BlendshapeDriver>();
            driver.Receiver = receiver;
            driver.Renderers = new[] { face };
            int events = 0;
            receiver.FrameReceived += f => events++;

            using (var sender = new UdpClient())
            {
                var target = new IPEndPoint(IPAddress.Loopback, receiver.BoundPort);
                var names = TestPackets.Names(8, "arkit52", TestPackets.Arkit52);
                var values = new float[52];
                values[17] = 0.6f; // jawOpen
                var frame = TestPackets.Frame(1, 8, values);
                var deadline = DateTime.UtcNow.AddSeconds(10);
                while (!receiver.Poll() && DateTime.UtcNow < deadline)
                {
                    sender.Send(names, names.Length, target);
                    sender.Send(frame, frame.Length, target);
                    Thread.Sleep(20);
                }
            }
            Assert.IsTrue(receiver.HasFrame, receiver.StatusText);
            Assert.IsTrue(receiver.IsConnected);
            StringAssert.StartsWith("connected", receiver.StatusText);
            Assert.AreEqual(1, events);
            driver.Apply(receiver.Frame, 0.016f);
            Assert.AreEqual(60f, face.GetBlendShapeWeight(0), 1e-3);
            receiver.StopReceiving();
            Assert.IsFalse(receiver.IsListening);
        }
    }
}
