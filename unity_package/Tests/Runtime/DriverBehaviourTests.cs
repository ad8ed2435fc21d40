using System;
using System.Collections.Generic;
using FaceBridge.Core;
using NUnit.Framework;
using UnityEngine;
using Object = UnityEngine.Object;

namespace FaceBridge.Tests
{
    /// <summary>
    /// The Blendshape Driver next to other animation systems, Inspector edits in Play mode, disconnects, frame weights,
    /// presets and recording. Only real Unity API is used, so these run in Unity's Test Runner too.
    /// </summary>
    public class DriverBehaviourTests
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

        SkinnedMeshRenderer FaceMesh(string name, float frameWeight, params string[] shapes)
        {
            var smr = NewObject(name).AddComponent<SkinnedMeshRenderer>();
            var mesh = new Mesh();
            _created.Add(mesh);
            mesh.vertices = new Vector3[3];
            foreach (var s in shapes) mesh.AddBlendShapeFrame(s, frameWeight, new Vector3[3], null, null);
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

        BlendshapeDriver Driver(params SkinnedMeshRenderer[] renderers)
        {
            var driver = NewObject("Avatar").AddComponent<BlendshapeDriver>();
            driver.Renderers = renderers;
            return driver;
        }

        static readonly string[] Jaw = { "jawOpen", "eyeBlinkLeft" };

        [Test]
        public void AnOutsideWriteIsRestoredTheNextFrame()
        {
            var face = FaceMesh("Face", 100f, "jawOpen", "eyeBlinkLeft");
            var driver = Driver(face);
            var frame = Frame(Jaw, 0.6f, 0.2f);
            driver.Apply(frame, 0.016f);
            face.SetBlendShapeWeight(0, 0f); // an Animator with Write Defaults, a lip-sync tool, UniVRM ...
            driver.Apply(frame, 0.016f);     // the tracked value holds steady
            Assert.AreEqual(60f, face.GetBlendShapeWeight(0), 1e-4, "tracking wins every frame");
            Assert.AreEqual(20f, face.GetBlendShapeWeight(1), 1e-4);
        }

        [Test]
        public void WithWriteEveryFrameOffOnlyChangesAreWritten()
        {
            var face = FaceMesh("Face", 100f, "jawOpen", "eyeBlinkLeft");
            var driver = Driver(face);
            driver.WriteEveryFrame = false;
            var frame = Frame(Jaw, 0.6f, 0.2f);
            driver.Apply(frame, 0.016f);
            face.SetBlendShapeWeight(0, 0f);
            driver.Apply(frame, 0.016f);
            Assert.AreEqual(0f, face.GetBlendShapeWeight(0), 1e-4, "the documented trade-off of the optimisation");
            driver.Apply(Frame(Jaw, 0.7f, 0.2f), 0.016f);
            Assert.AreEqual(70f, face.GetBlendShapeWeight(0), 1e-4);
        }

        [Test]
        public void LateUpdateWritesEveryFrameEvenWithoutANewPacket()
        {
            var face = FaceMesh("Face", 100f, "jawOpen", "eyeBlinkLeft");
            var avatar = NewObject("Avatar");
            avatar.SetActive(false);
            var receiver = avatar.AddComponent<FaceBridgeReceiver>();
            var driver = avatar.AddComponent<BlendshapeDriver>();
            driver.Receiver = receiver;
            driver.Renderers = new[] { face };
            var names = TestPackets.Names(3, "two", Jaw);
            var packet = TestPackets.Frame(1, 3, new[] { 0.6f, 0f });
            receiver.Inject(names, names.Length);
            receiver.Inject(packet, packet.Length);
            Assert.IsTrue(receiver.Poll());
            Assert.IsFalse(receiver.IsConnected, "injected only: no socket");
            driver.OnDisconnect = DisconnectBehaviour.Hold;
            Inspector.Call(driver, "LateUpdate");
            face.SetBlendShapeWeight(0, 5f);
            Assert.IsFalse(receiver.Poll(), "no new frame");
            Inspector.Call(driver, "LateUpdate");
            Assert.AreEqual(60f, face.GetBlendShapeWeight(0), 1e-4);
        }

        [Test]
        public void TheFullWeightIsTheShapesLastFrameWeight()
        {
            var unit = FaceMesh("UnitWeights", 1f, "jawOpen");   // some exporters write shapes 0..1
            var hundred = FaceMesh("Face", 100f, "jawOpen");
            var driver = Driver(unit, hundred);
            driver.Apply(Frame(new[] { "jawOpen" }, 0.6f), 0.016f);
            Assert.AreEqual(0.6f, unit.GetBlendShapeWeight(0), 1e-5);
            Assert.AreEqual(60f, hundred.GetBlendShapeWeight(0), 1e-4);
        }

        [Test]
        public void WeightsAreClampedToTheFullWeightUnlessTurnedOff()
        {
            var face = FaceMesh("Face", 100f, "jawOpen");
            var driver = Driver(face);
            driver.Multipliers.Add(new ShapeMultiplier { name = "jawOpen", multiplier = 2f });
            driver.Remap();
            driver.Apply(Frame(new[] { "jawOpen" }, 0.8f), 0.016f);
            Assert.AreEqual(100f, face.GetBlendShapeWeight(0), 1e-4);
            driver.ClampWeights = false;
            driver.Apply(Frame(new[] { "jawOpen" }, 0.8f), 0.016f);
            Assert.AreEqual(160f, face.GetBlendShapeWeight(0), 1e-3);
        }

        [Test]
        public void ARendererRemovedInTheInspectorDuringPlayIsDroppedWithoutErrors()
        {
            var face = FaceMesh("Face", 100f, "jawOpen");
            var teeth = FaceMesh("Teeth", 100f, "jawOpen");
            var driver = Driver(face, teeth);
            var frame = Frame(new[] { "jawOpen" }, 0.5f);
            driver.Apply(frame, 0.016f);
            Inspector.Set(driver, "_renderers", new[] { face });
            driver.Apply(Frame(new[] { "jawOpen" }, 0.7f), 0.016f);
            Assert.AreEqual(70f, face.GetBlendShapeWeight(0), 1e-4);
            Assert.AreEqual(50f, teeth.GetBlendShapeWeight(0), 1e-4, "no longer driven");
            Assert.AreEqual(1, driver.MappedCount);
        }

        [Test]
        public void RenderersChangedWithoutOnValidateOrDestroyedNeverThrow()
        {
            var face = FaceMesh("Face", 100f, "jawOpen");
            var teeth = FaceMesh("Teeth", 100f, "jawOpen");
            var driver = Driver(face, teeth);
            driver.Apply(Frame(new[] { "jawOpen" }, 0.5f), 0.016f);
            Inspector.SetWithoutValidate(driver, "_renderers", new[] { teeth });
            Assert.DoesNotThrow(() => driver.Apply(Frame(new[] { "jawOpen" }, 0.6f), 0.016f));
            Assert.AreEqual(60f, teeth.GetBlendShapeWeight(0), 1e-4);
            Object.DestroyImmediate(teeth);
            Assert.DoesNotThrow(() => driver.Apply(Frame(new[] { "jawOpen" }, 0.7f), 0.016f));
            var other = FaceMesh("Other", 100f, "jawOpen", "mouthClose");
            Inspector.SetWithoutValidate(driver, "_renderers", new[] { face, other });
            other.sharedMesh = FaceMesh("Swap", 100f, "mouthClose", "jawOpen").sharedMesh; // mesh swapped in Play
            Assert.DoesNotThrow(() => driver.Apply(Frame(new[] { "jawOpen" }, 0.8f), 0.016f));
            Assert.AreEqual(80f, other.GetBlendShapeWeight(1), 1e-4, "mapped against the new mesh");
        }

        [Test]
        public void LiveEditsOfMultipliersAndAliasesApplyWithoutAutoMap()
        {
            var face = FaceMesh("Face", 100f, "jawOpen", "MTH_A");
            var driver = Driver(face);
            driver.Apply(Frame(new[] { "jawOpen" }, 0.5f), 0.016f);
            Assert.AreEqual(0f, face.GetBlendShapeWeight(1));
            Inspector.Set(driver, "_multipliers", new List<ShapeMultiplier> { new ShapeMultiplier { name = "jawOpen", multiplier = 0.5f } });
            Inspector.Set(driver, "_aliases", new List<ShapeAlias> { new ShapeAlias { incoming = "jawOpen", target = "MTH_A" } });
            driver.Apply(Frame(new[] { "jawOpen" }, 0.5f), 0.016f);
            Assert.AreEqual(25f, face.GetBlendShapeWeight(0), 1e-4);
            Assert.AreEqual(25f, face.GetBlendShapeWeight(1), 1e-4, "the alias and its source's multiplier");
        }

        [Test]
        public void ADisconnectEasesToNeutralOverTheEaseTimeThenReleasesTheFace()
        {
            var face = FaceMesh("Face", 100f, "jawOpen");
            var driver = Driver(face);
            driver.NeutralEaseSeconds = 0.5f;
            var frame = Frame(new[] { "jawOpen" }, 0.8f);
            driver.Apply(frame, 0.016f, true);
            Assert.AreEqual(80f, face.GetBlendShapeWeight(0), 1e-4);
            driver.Apply(frame, 0.25f, false);
            Assert.AreEqual(40f, face.GetBlendShapeWeight(0), 1e-3, "halfway (smoothstep 0.5)");
            Assert.AreEqual(0.5f, driver.TrackingWeight, 1e-5);
            driver.Apply(frame, 0.25f, false);
            Assert.AreEqual(0f, face.GetBlendShapeWeight(0), 1e-4, "neutral");
            face.SetBlendShapeWeight(0, 33f); // an idle animation takes over
            driver.Apply(frame, 0.25f, false);
            Assert.AreEqual(33f, face.GetBlendShapeWeight(0), 1e-4, "released: no more writes while disconnected");
            driver.Apply(frame, 0.016f, true);
            Assert.AreEqual(80f, face.GetBlendShapeWeight(0), 1e-4, "tracking is back at once");
        }

        [Test]
        public void HoldKeepsTheLastFaceOnDisconnect()
        {
            var face = FaceMesh("Face", 100f, "jawOpen");
            var driver = Driver(face);
            driver.OnDisconnect = DisconnectBehaviour.Hold;
            var frame = Frame(new[] { "jawOpen" }, 0.8f);
            driver.Apply(frame, 0.016f, true);
            for (int i = 0; i < 10; i++) driver.Apply(frame, 0.25f, false);
            Assert.AreEqual(80f, face.GetBlendShapeWeight(0), 1e-4);
        }

        [Test]
        public void TheVroidPresetDrivesAVroidFaceFromArkit()
        {
            var face = FaceMesh("Face", 100f, "Fcl_EYE_Close_L", "Fcl_EYE_Close_R", "Fcl_MTH_A", "Fcl_HA_Hide");
            var driver = Driver(face);
            driver.RemapPreset = RemapPresetKind.VroidFcl;
            var f = Frame(TestPackets.Arkit52, new float[52]);
            f.Values[Array.IndexOf(TestPackets.Arkit52, "eyeBlinkLeft")] = 1f;
            f.Values[Array.IndexOf(TestPackets.Arkit52, "jawOpen")] = 0.5f;
            driver.Apply(f, 0.016f);
            Assert.AreEqual(100f, face.GetBlendShapeWeight(0), 1e-4);
            Assert.AreEqual(0f, face.GetBlendShapeWeight(1), 1e-4);
            Assert.AreEqual(60f, face.GetBlendShapeWeight(2), 1e-3);
            Assert.AreEqual(3, driver.MappedCount);
            CollectionAssert.Contains(driver.UnmappedTargets, "Face/Fcl_HA_Hide");
            CollectionAssert.DoesNotContain(driver.UnmappedIncoming, "jawOpen");
        }

        [Test]
        public void WritingAFrameAllocatesNothingInSteadyState()
        {
            var method = typeof(GC).GetMethod("GetAllocatedBytesForCurrentThread",
                System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static);
            if (method == null) Assert.Ignore("this runtime cannot count allocations per thread");
            var allocated = (Func<long>)Delegate.CreateDelegate(typeof(Func<long>), method);
            var face = FaceMesh("Face", 100f, TestPackets.Arkit52);
            var driver = Driver(face);
            driver.SmoothingTime = 0.05f;
            driver.RemapPreset = RemapPresetKind.VroidFcl;
            var frame = Frame(TestPackets.Arkit52, new float[52]);
            driver.Apply(frame, 0.016f); // warm up: map, JIT
            long before = allocated();
            for (int i = 0; i < 1000; i++)
            {
                frame.Values[i % 52] = (i % 100) / 100f;
                driver.Apply(frame, 0.016f, i % 200 < 150); // including disconnect easing
            }
            Assert.AreEqual(0L, allocated() - before, "a frame's writes must not allocate");
        }

        [Test]
        public void TheRecorderKeepsTheKeysThatMatter()
        {
            var root = NewObject("Avatar");
            var face = FaceMesh("Face", 100f, "jawOpen");
            face.transform.SetParent(root.transform);
            var recording = new BlendshapeRecording(root.transform, 0.5f);
            float[] weights = { 0f, 0f, 0f, 0.2f, 50f, 50.1f, 50.2f, 50f, 10f };
            for (int i = 0; i < weights.Length; i++) recording.Add(face, 0, weights[i], i * 0.1f);
            recording.Finish();
            Assert.AreEqual(1, recording.Curves.Count);
            var c = recording.Curves[0];
            Assert.AreEqual("Face", c.Path);
            Assert.AreEqual("blendShape.jawOpen", c.PropertyName);
            var keys = c.Curve.keys;
            Assert.AreEqual(0f, keys[0].time, 1e-6);
            Assert.AreEqual(50f, c.Curve[2].value, 1e-6, "the jump to 50 is a key after the hold's end");
            Assert.AreEqual(0.3f, c.Curve[1].time, 1e-5, "the hold ends at 0.3 s");
            Assert.AreEqual(10f, keys[keys.Length - 1].value, 1e-6);
            Assert.Less(keys.Length, weights.Length, "steady stretches need no keys");
            Assert.AreEqual(0.8f, recording.Duration, 1e-5);
        }

        [Test]
        public void TheRecorderComponentRecordsWhatTheDriverWrites()
        {
            var face = FaceMesh("Face", 100f, "jawOpen", "eyeBlinkLeft");
            var driver = Driver(face);
            var recorder = driver.gameObject.AddComponent<BlendshapeRecorder>();
            recorder.Driver = driver;
            recorder.StartRecording();
            Assert.IsTrue(recorder.IsRecording);
            driver.Apply(Frame(Jaw, 0.6f, 0.2f), 0.016f);
            var take = recorder.StopRecording();
            Assert.IsFalse(recorder.IsRecording);
            Assert.AreEqual(2, take.Curves.Count);
            Assert.AreEqual(60f, take.Curves[0].Curve[0].value, 1e-4);
            Assert.IsNull(recorder.StopRecording());
        }
    }
}
