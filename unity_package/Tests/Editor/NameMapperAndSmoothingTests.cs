using System.Collections.Generic;
using System.Text;
using FaceBridge.Core;
using NUnit.Framework;

namespace FaceBridge.Tests
{
    public class NameMapperTests
    {
        [TestCase("eyeBlinkLeft", "eyeblinkleft")]
        [TestCase("EyeBlinkLeft", "eyeblinkleft")]
        [TestCase("eyeBlink_L", "eyeblinkleft")]
        [TestCase("eyeblinkleft", "eyeblinkleft")]
        [TestCase("mouthSmile_R", "mouthsmileright")]
        [TestCase("blendShape1.jawOpen", "jawopen")]
        [TestCase("Blink_L", "blinkleft")]
        [TestCase("JawOpen", "jawopen")]
        [TestCase("brow.L", "browleft")]
        [TestCase("", "")]
        public void NormalizesTheSpellingsSeenInTheWild(string name, string key)
        {
            Assert.AreEqual(key, NameMapper.Normalize(name));
        }

        [Test]
        public void MapsTargetsBySpellingInsensitiveName()
        {
            var incoming = new[] { "eyeBlinkLeft", "jawOpen", "mouthSmileRight", "tongueOut" };
            var mesh = new[] { "blendShape1.JawOpen", "EyeBlink_L", "MouthSmileRight", "Extra" };
            int[] map = NameMapper.MapTargets(incoming, mesh);
            CollectionAssert.AreEqual(new[] { 1, 0, 2, -1 }, map);
            CollectionAssert.AreEqual(new[] { "tongueOut" }, NameMapper.UnusedSources(incoming, map));
        }

        [Test]
        public void UserAliasesAndVrmAliasesMapOtherRigs()
        {
            var incoming = new[] { "happy", "blinkLeft", "jawOpen" };
            var mesh = new[] { "Joy", "Blink_L", "MTH_A" };
            var aliases = new List<KeyValuePair<string, string>> { new KeyValuePair<string, string>("jawOpen", "MTH_A") };
            CollectionAssert.AreEqual(new[] { 0, 1, 2 }, NameMapper.MapTargets(incoming, mesh, aliases));
            // and the other direction: VRM0 names in, VRM1 names on the mesh
            CollectionAssert.AreEqual(new[] { 1, 0 }, NameMapper.MapTargets(new[] { "Blink_R", "Sorrow" }, new[] { "sad", "blinkRight" }));
        }
    }

    public class SmoothingTests
    {
        [Test]
        public void ExponentialSmootherIsFrameRateIndependent()
        {
            var target = new[] { 1f };
            var fast = new ExponentialSmoother();
            var slow = new ExponentialSmoother();
            fast.Step(new[] { 0f }, 1, 0f, 0.1f);
            slow.Step(new[] { 0f }, 1, 0f, 0.1f);
            for (int i = 0; i < 10; i++) fast.Step(target, 1, 0.01f, 0.1f);
            slow.Step(target, 1, 0.1f, 0.1f);
            Assert.AreEqual(1f - System.Math.Exp(-1.0), fast.Values[0], 1e-4);
            Assert.AreEqual(fast.Values[0], slow.Values[0], 1e-4);
        }

        [Test]
        public void SmootherSnapsWhenTheRigChangesOrIsOff()
        {
            var s = new ExponentialSmoother();
            s.Step(new[] { 0f, 0f }, 2, 0.01f, 1f);
            Assert.AreEqual(1f, s.Step(new[] { 1f, 1f, 1f }, 3, 0.01f, 1f)[2]);
            Assert.AreEqual(0.5f, s.Step(new[] { 0.5f, 0.5f, 0.5f }, 3, 0.01f, 0f)[0]);
        }

        [Test]
        public void LightTransitionFadesSmoothlyAndRetargetsFromWhereItIs()
        {
            var t = new LightTransition(new LightCue(0f, 0f, 0f, 0f, 0f));
            t.SetTarget(new LightCue(1f, 1f, 1f, 2f, 1f));
            Assert.AreEqual(0.5f, t.Step(0.5f).R, 1e-5, "smoothstep midpoint");
            Assert.AreEqual(2f, t.Step(0.5f).Intensity, 1e-5, "arrives exactly at the end of the transition");
            t.Step(1f);
            Assert.AreEqual(1f, t.Current.R);
            t.SetTarget(new LightCue(0f, 0f, 0f, 0f, 2f));
            float previous = t.Current.R;
            for (int i = 0; i < 20; i++)
            {
                float r = t.Step(0.1f).R;
                Assert.LessOrEqual(r, previous + 1e-6f, "monotonic fade");
                previous = r;
            }
            Assert.AreEqual(0f, t.Current.R, 1e-6);
        }

        [Test]
        public void EmotionTrackerNeedsTheHoldToEnterAndToExit()
        {
            var e = new EmotionStateTracker { Threshold = 0.6f, Hysteresis = 0.1f, MinHoldSeconds = 0.3f };
            Assert.AreEqual(0, e.Update(0.9f, 0.1f));
            Assert.AreEqual(0, e.Update(0.2f, 0.1f), "a 0.1 s flicker never enters");
            Assert.AreEqual(0, e.Update(0.9f, 0.2f));
            Assert.AreEqual(1, e.Update(0.9f, 0.2f));
            Assert.IsTrue(e.Active);
            Assert.AreEqual(0, e.Update(0.55f, 1f), "inside the hysteresis band stays active");
            Assert.AreEqual(0, e.Update(0.1f, 0.2f));
            Assert.AreEqual(-1, e.Update(0.1f, 0.2f));
            Assert.IsFalse(e.Active);
        }
    }

    public class Utf8NameTableTests
    {
        [Test]
        public void InternsOnceAndFindsWithoutAllocatingNewEntries()
        {
            var table = new Utf8NameTable(4);
            var a = Encoding.UTF8.GetBytes("xxjawOpenyy");
            Assert.AreEqual(-1, table.Find(a, 2, 7));
            Assert.AreEqual(0, table.Intern(a, 2, 7));
            Assert.AreEqual(0, table.Intern(Encoding.UTF8.GetBytes("jawOpen"), 0, 7));
            Assert.AreEqual("jawOpen", table[0]);
            for (int i = 1; i < 4; i++) Assert.AreEqual(i, table.Intern(new[] { (byte)('a' + i) }, 0, 1));
            Assert.AreEqual(-1, table.Intern(new[] { (byte)'z' }, 0, 1), "full table refuses new names");
            Assert.AreEqual(4, table.Count);
        }
    }
}
