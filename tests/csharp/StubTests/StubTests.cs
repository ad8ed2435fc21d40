// Tests that need the stubs themselves (not shipped with the package, so they may use the stubs' internal plumbing
// through InternalsVisibleTo): the stub-surface check, the VRM adapters against the UniVRM stub, HDRP detection,
// onBeforeRender timing and the AnimationClip writer.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Reflection;
using FaceBridge.Core;
using FaceBridge.Editor;
using NUnit.Framework;
using UnityEditor;
using UnityEngine;
using UnityEngine.Rendering;
using Object = UnityEngine.Object;

namespace FaceBridge.StubTests
{
    public class StubSurfaceTests
    {
        static string Dir(string variable)
        {
            string dir = Environment.GetEnvironmentVariable(variable);
            if (string.IsNullOrEmpty(dir)) Assert.Ignore(variable + " not set (tests/csharp/run.sh sets it)");
            return dir;
        }

        [Test]
        public void TheUnityStubsDeclareOnlyMembersFromTheUnityApiList()
        {
            var allowed = SurfaceCheck.ReadList(Path.Combine(Dir("FACEBRIDGE_API_LISTS"), "unity-api.txt"));
            var missing = SurfaceCheck.Missing(allowed, typeof(GameObject).Assembly);
            missing.AddRange(SurfaceCheck.Missing(allowed, typeof(UnityEditor.Editor).Assembly));
            CollectionAssert.IsEmpty(missing);
            StringAssert.Contains("2022.3", File.ReadAllText(Path.Combine(Dir("FACEBRIDGE_API_LISTS"), "unity-api.txt")),
                "the list records the Unity version it was read from");
        }

        [Test]
        public void TheUniVrmStubDeclaresOnlyMembersFromTheUniVrmList()
        {
            var allowed = SurfaceCheck.ReadList(Path.Combine(Dir("FACEBRIDGE_API_LISTS"), "univrm-api.txt"));
            CollectionAssert.IsEmpty(SurfaceCheck.Missing(allowed, typeof(UniVRM10.Vrm10Instance).Assembly));
        }

        [Test]
        public void TheCheckCatchesAStubMemberUnityLacks()
        {
            // Rebuild issue 13's bug: a stub SkinnedMeshRenderer with a test counter real Unity does not have.
            string dir = Path.Combine(Path.GetTempPath(), "facebridge-surface-" + Process.GetCurrentProcess().Id);
            Directory.CreateDirectory(dir);
            string source = Path.Combine(dir, "Bad.cs"), dll = Path.Combine(dir, "Bad.dll");
            File.WriteAllText(source, "namespace UnityEngine { public class Object { internal Object() {} } "
                + "public class Component : Object { internal Component() {} } public class Renderer : Component { internal Renderer() {} } "
                + "public class SkinnedMeshRenderer : Renderer { internal SkinnedMeshRenderer() {} public int SetWeightCalls; "
                + "public void SetBlendShapeWeight(int index, float value) {} } }");
            var mcs = Process.Start(new ProcessStartInfo("mcs", "-nologo -target:library -out:\"" + dll + "\" \"" + source + "\"")
                { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true });
            mcs.WaitForExit();
            Assert.AreEqual(0, mcs.ExitCode, mcs.StandardError.ReadToEnd() + mcs.StandardOutput.ReadToEnd());
            var allowed = SurfaceCheck.ReadList(Path.Combine(Dir("FACEBRIDGE_API_LISTS"), "unity-api.txt"));
            var missing = SurfaceCheck.Missing(allowed, Assembly.Load(File.ReadAllBytes(dll)));
            CollectionAssert.AreEqual(new[] { "F:UnityEngine.SkinnedMeshRenderer.SetWeightCalls" }, missing);
            Directory.Delete(dir, true);
        }

        [Test]
        public void SignaturesAreComparedNotJustNames()
        {
            var lines = new List<string>(SurfaceCheck.Surface(typeof(GameObject).Assembly));
            CollectionAssert.Contains(lines, "M:UnityEngine.Mesh.GetBlendShapeFrameWeight(int,int)");
            CollectionAssert.Contains(lines, "M:static UnityEngine.Object.DestroyImmediate(Object)");
            CollectionAssert.Contains(lines, "P:UnityEngine.Light.color");
            CollectionAssert.Contains(lines, "T:class UnityEngine.SkinnedMeshRenderer : UnityEngine.Renderer");
            CollectionAssert.Contains(lines, "M:UnityEngine.Events.UnityEvent<T0>.AddListener(UnityAction<T0>)");
            CollectionAssert.DoesNotContain(lines, "F:UnityEngine.Light.color", "Unity's Light.color is a property");
        }
    }

    public class StubDrivenComponentTests
    {
        readonly List<Object> _created = new List<Object>();

        [TearDown]
        public void TearDown()
        {
            foreach (var o in _created) Object.DestroyImmediate(o);
            _created.Clear();
            GraphicsSettings.Current = null;
        }

        GameObject NewObject(string name)
        {
            var go = new GameObject(name);
            _created.Add(go);
            return go;
        }

        static FaceFrame Arkit(params object[] nameValue)
        {
            var f = new FaceFrame { Names = NameMapper.Arkit52Names, NamesVersion = 1 };
            f.EnsureCapacity(52);
            f.ValueCount = 52;
            for (int i = 0; i < nameValue.Length; i += 2)
                f.Values[Array.IndexOf(NameMapper.Arkit52Names, (string)nameValue[i])] = (float)nameValue[i + 1];
            return f;
        }

        // Test-only render pipeline assets: the driver recognises HDRP by the asset's type name.
        sealed class HDRenderPipelineAsset : RenderPipelineAsset { }
        sealed class UniversalRenderPipelineAsset : RenderPipelineAsset { }

        [Test]
        public void UnderHdrpAmbientIsLeftAloneWithOneWarningAndLightsStillFollow()
        {
            GraphicsSettings.Current = ScriptableObject.CreateInstance<HDRenderPipelineAsset>();
            var light = NewObject("Key").AddComponent<Light>();
            var driver = NewObject("Lighting").AddComponent<EmotionLightingDriver>();
            driver.Lights = new[] { light };
            RenderSettings.ambientLight = new Color(0.1f, 0.2f, 0.3f, 1f);
            var warnings = new List<string>();
            Application.LogCallback collect = (c, s, t) => { if (t == LogType.Warning) warnings.Add(c); };
            Application.logMessageReceived += collect;
            try
            {
                driver.SetCue(new FaceFrame { HasLight = true, Light = new LightCue(1f, 0f, 0f, 2f, 0f) });
                driver.Step(0.1f);
                driver.Step(0.1f);
            }
            finally
            {
                Application.logMessageReceived -= collect;
            }
            Assert.IsFalse(EmotionLightingDriver.AmbientSupported);
            Assert.AreEqual(0.2f, RenderSettings.ambientLight.g, 1e-6, "HDRP ignores it, so it is not touched");
            Assert.AreEqual(1, warnings.Count);
            StringAssert.Contains("HDRP", warnings[0]);
            Assert.AreEqual(2f, light.intensity, 1e-5);

            GraphicsSettings.Current = ScriptableObject.CreateInstance<UniversalRenderPipelineAsset>();
            Assert.IsTrue(EmotionLightingDriver.AmbientSupported, "URP uses RenderSettings.ambientLight");
        }

        [Test]
        public void BeforeRenderTimingWritesAfterEveryLateUpdate()
        {
            var smr = NewObject("Face").AddComponent<SkinnedMeshRenderer>();
            var mesh = new Mesh { vertices = new Vector3[1] };
            mesh.AddBlendShapeFrame("jawOpen", 100f, new Vector3[1], null, null);
            smr.sharedMesh = mesh;
            var avatar = NewObject("Avatar");
            avatar.SetActive(false);
            var receiver = avatar.AddComponent<FaceBridgeReceiver>();
            var driver = avatar.AddComponent<BlendshapeDriver>();
            driver.Receiver = receiver;
            driver.Renderers = new[] { smr };
            driver.OnDisconnect = DisconnectBehaviour.Hold;
            driver.Timing = ApplyTiming.BeforeRender;
            var names = Tests.TestPackets.Names(1, "one", new[] { "jawOpen" });
            var frame = Tests.TestPackets.Frame(1, 1, new[] { 0.4f });
            receiver.Inject(names, names.Length);
            receiver.Inject(frame, frame.Length);
            receiver.Poll();
            avatar.SetActive(true); // OnEnable subscribes
            receiver.StopReceiving();
            Object.Call(driver, "LateUpdate");
            Assert.AreEqual(0f, smr.GetBlendShapeWeight(0), "BeforeRender timing: nothing in LateUpdate");
            Application.BeforeRender();
            Assert.AreEqual(40f, smr.GetBlendShapeWeight(0), 1e-4);
            avatar.SetActive(false); // OnDisable unsubscribes
            smr.SetBlendShapeWeight(0, 1f);
            Application.BeforeRender();
            Assert.AreEqual(1f, smr.GetBlendShapeWeight(0));
        }

        UniVRM10.Vrm10Instance Vrm10(params UniVRM10.ExpressionKey[] keys)
        {
            var go = NewObject("VRM 1.0 avatar");
            go.SetActive(false);
            var vrm = go.AddComponent<UniVRM10.Vrm10Instance>();
            foreach (var k in keys)
            {
                vrm.Runtime.Expression.Keys.Add(k);
                vrm.Runtime.Expression.Weights[k] = 0f;
            }
            return vrm;
        }

        [Test]
        public void TheVrm10DriverSetsPresetAndPerfectSyncExpressions()
        {
            var blinkLeft = UniVRM10.ExpressionKey.CreateFromPreset(UniVRM10.ExpressionPreset.blinkLeft);
            var aa = UniVRM10.ExpressionKey.CreateFromPreset(UniVRM10.ExpressionPreset.aa);
            var happy = UniVRM10.ExpressionKey.CreateFromPreset(UniVRM10.ExpressionPreset.happy);
            var relaxed = UniVRM10.ExpressionKey.CreateFromPreset(UniVRM10.ExpressionPreset.relaxed);
            var jawOpen = UniVRM10.ExpressionKey.CreateCustom("jawOpen"); // a perfect-sync custom expression
            var vrm = Vrm10(blinkLeft, aa, happy, relaxed, jawOpen);
            vrm.Runtime.Expression.SetWeight(relaxed, 0.3f); // set by the user's own script
            var driver = vrm.gameObject.AddComponent<Vrm10ExpressionDriver>();
            driver.Vrm = vrm;
            var f = Arkit("eyeBlinkLeft", 0.9f, "jawOpen", 0.5f);
            f.EmotionProbabilities[1] = 1f;
            driver.Apply(f, 0.016f, true);
            var e = vrm.Runtime.Expression;
            Assert.AreEqual(0.9f, e.GetWeight(blinkLeft), 1e-5);
            Assert.AreEqual(0.6f, e.GetWeight(aa), 1e-5, "aa from jawOpen");
            Assert.AreEqual(1f, e.GetWeight(happy), 1e-5, "happy from the happiness probability");
            Assert.AreEqual(0.5f, e.GetWeight(jawOpen), 1e-5, "custom expression matched by name");
            Assert.AreEqual(0.3f, e.GetWeight(relaxed), 1e-5, "expressions nothing drives are left alone");
            Assert.AreEqual(4, driver.MappedCount);

            for (int i = 0; i < 3; i++) driver.Apply(f, 0.25f, false);
            Assert.AreEqual(0f, e.GetWeight(jawOpen), 1e-5, "eased to neutral on disconnect");
        }

        [Test]
        public void TheVrm0ProxyDriverAccumulatesAndApplies()
        {
            var go = NewObject("VRM 0.x avatar");
            go.SetActive(false);
            var proxy = go.AddComponent<VRM.VRMBlendShapeProxy>();
            proxy.BlendShapeAvatar = ScriptableObject.CreateInstance<VRM.BlendShapeAvatar>();
            var blink = ScriptableObject.CreateInstance<VRM.BlendShapeClip>();
            blink.Preset = VRM.BlendShapePreset.Blink_R;
            var joy = ScriptableObject.CreateInstance<VRM.BlendShapeClip>();
            joy.Preset = VRM.BlendShapePreset.Joy;
            var custom = ScriptableObject.CreateInstance<VRM.BlendShapeClip>();
            custom.BlendShapeName = "mouthPucker";
            proxy.BlendShapeAvatar.Clips.AddRange(new[] { blink, joy, custom });
            var driver = go.AddComponent<VrmBlendShapeProxyDriver>();
            driver.Proxy = proxy;
            var f = Arkit("eyeBlinkRight", 0.7f, "mouthPucker", 0.4f);
            f.EmotionProbabilities[1] = 1f;
            driver.Apply(f, 0.016f, true);
            Assert.AreEqual(0.7f, proxy.GetValue(VRM.BlendShapeKey.CreateFromClip(blink)), 1e-5);
            Assert.AreEqual(1f, proxy.GetValue(VRM.BlendShapeKey.CreateFromClip(joy)), 1e-5);
            Assert.AreEqual(0.4f, proxy.GetValue(VRM.BlendShapeKey.CreateFromClip(custom)), 1e-5);
        }

        [Test]
        public void TheClipWriterWritesOneBlendshapeCurvePerRecordedShape()
        {
            var root = NewObject("Avatar");
            var smr = NewObject("Face").AddComponent<SkinnedMeshRenderer>();
            smr.transform.SetParent(root.transform);
            var mesh = new Mesh { vertices = new Vector3[1] };
            mesh.AddBlendShapeFrame("jawOpen", 100f, new Vector3[1], null, null);
            mesh.AddBlendShapeFrame("eyeBlinkLeft", 100f, new Vector3[1], null, null);
            smr.sharedMesh = mesh;
            var take = new BlendshapeRecording(root.transform, 0f);
            take.Add(smr, 0, 10f, 0f);
            take.Add(smr, 1, 20f, 0f);
            take.Add(smr, 0, 30f, 0.5f);
            take.Finish();
            AnimationUtility.Written.Clear();
            var clip = FaceBridgeClipWriter.ToClip(take, 30f);
            Assert.AreEqual(30f, clip.frameRate);
            Assert.AreEqual(2, AnimationUtility.Written.Count);
            Assert.AreEqual("Face", AnimationUtility.Written[0].Key.path);
            Assert.AreEqual("blendShape.jawOpen", AnimationUtility.Written[0].Key.propertyName);
            Assert.AreEqual(2, AnimationUtility.Written[0].Value.length);
            Assert.AreEqual("blendShape.eyeBlinkLeft", AnimationUtility.Written[1].Key.propertyName);
        }
    }
}
