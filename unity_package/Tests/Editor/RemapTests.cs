using System;
using System.Collections.Generic;
using FaceBridge.Core;
using NUnit.Framework;

namespace FaceBridge.Tests
{
    public class RemapTests
    {
        static FaceFrame ArkitFrame(params object[] nameValue)
        {
            var f = new FaceFrame { Names = TestPackets.Arkit52, NamesVersion = 1 };
            f.EnsureCapacity(52);
            f.ValueCount = 52;
            for (int i = 0; i < nameValue.Length; i += 2)
                f.Values[Array.IndexOf(TestPackets.Arkit52, (string)nameValue[i])] = (float)nameValue[i + 1];
            return f;
        }

        static float Target(TargetMap map, FaceFrame f, int target)
        {
            float v;
            Assert.IsTrue(map.Value(target, f.Values, f.ValueCount, out v), "target " + target + " should be driven");
            return v;
        }

        [Test]
        public void TheVroidPresetDrivesFclShapesFromArkitNamesAndEmotions()
        {
            var f = ArkitFrame("eyeBlinkLeft", 0.8f, "jawOpen", 0.5f, "mouthSmileLeft", 0.6f, "mouthSmileRight", 0.6f);
            f.EmotionProbabilities[1] = 0.9f; // happiness
            var targets = new[] { "Fcl_EYE_Close_L", "Fcl_EYE_Close_R", "Fcl_MTH_A", "Fcl_MTH_Fun", "Fcl_ALL_Joy", "Fcl_ALL_Angry", "Fcl_HA_Hide" };
            var remap = new CompiledRemap(RemapPreset.ArkitToVroid, f.Names);
            var map = new TargetMap(f.Names, targets, null, remap);
            remap.Evaluate(f.Values, f.ValueCount, f.EmotionProbabilities);
            Assert.AreEqual(0.8f, Target(map, f, 0), 1e-6);
            Assert.AreEqual(0f, Target(map, f, 1), 1e-6);
            Assert.AreEqual(0.6f, Target(map, f, 2), 1e-6, "jawOpen x 1.2");
            Assert.AreEqual(0.6f, Target(map, f, 3), 1e-6);
            Assert.Greater(Target(map, f, 4), 0.7f, "Joy from the happiness probability");
            Assert.AreEqual(0f, Target(map, f, 5), 1e-6, "anger 0 stays under the dead zone");
            Assert.IsFalse(map.IsMapped(6), "no rule: left to the avatar");
        }

        [Test]
        public void AShapeMatchedByNameWinsOverThePresetRule()
        {
            // A perfect-sync VRoid model has both the ARKit shapes and the Fcl_ ones.
            var f = ArkitFrame("eyeBlinkLeft", 0.3f);
            var remap = new CompiledRemap(RemapPreset.ArkitToVroid, f.Names);
            var map = new TargetMap(f.Names, new[] { "eyeBlinkLeft", "Fcl_EYE_Close_L" }, null, remap);
            Assert.AreEqual(0, map.SourceOf(0));
            Assert.AreEqual(-1, map.RuleOf(0));
            Assert.GreaterOrEqual(map.RuleOf(1), 0);
        }

        [Test]
        public void TheVrmPresetAlsoFindsVrm0ClipNames()
        {
            var f = ArkitFrame("eyeBlinkRight", 1f, "mouthPucker", 0.7f);
            var remap = new CompiledRemap(RemapPreset.ArkitToVrm, f.Names);
            var map = new TargetMap(f.Names, new[] { "Blink_R", "blinkRight", "U", "Joy", "Neutral" }, null, remap);
            remap.Evaluate(f.Values, f.ValueCount, f.EmotionProbabilities);
            Assert.AreEqual(1f, Target(map, f, 0), 1e-6, "VRM 0.x Blink_R = VRM 1.0 blinkRight");
            Assert.AreEqual(1f, Target(map, f, 1), 1e-6);
            Assert.AreEqual(0.7f, Target(map, f, 2), 1e-6, "U = ou = pucker");
            Assert.IsTrue(map.IsMapped(3), "Joy = happy from the emotion");
            Assert.IsFalse(map.IsMapped(4));
        }

        [Test]
        public void ARuleWhoseInputsTheRigLacksDrivesNothing()
        {
            var f = new FaceFrame { Names = new[] { "happy", "aa" }, NamesVersion = 1 };
            var remap = new CompiledRemap(RemapPreset.ArkitToVroid, f.Names);
            var map = new TargetMap(f.Names, new[] { "Fcl_MTH_A", "Fcl_EYE_Close_L", "Fcl_ALL_Joy" }, null, remap);
            Assert.IsFalse(map.IsMapped(0), "the rig sends no jawOpen");
            Assert.IsFalse(map.IsMapped(1));
            Assert.IsTrue(map.IsMapped(2), "emotions are always there");
        }

        static readonly HashSet<string> Emotions = new HashSet<string>(FaceFrame.EmotionLabels);

        static void AssertSourcesAreKnown(RemapPreset preset)
        {
            var arkit = new HashSet<string>(NameMapper.Arkit52Names);
            var targets = new HashSet<string>();
            for (int r = 0; r < preset.RuleCount; r++)
            {
                var rule = preset[r];
                Assert.IsTrue(targets.Add(rule.Target), preset.Name + ": duplicate target " + rule.Target);
                foreach (var term in rule.Terms)
                {
                    bool emotion = term.Source.StartsWith(RemapPreset.EmotionPrefix, StringComparison.Ordinal)
                        && Emotions.Contains(term.Source.Substring(RemapPreset.EmotionPrefix.Length));
                    Assert.IsTrue(emotion || arkit.Contains(term.Source), preset.Name + ": " + rule.Target + " reads unknown " + term.Source);
                }
            }
        }

        [Test]
        public void ThePresetsReadOnlyArkitNamesAndEmotionLabelsAndNameRealTargets()
        {
            AssertSourcesAreKnown(RemapPreset.ArkitToVroid);
            AssertSourcesAreKnown(RemapPreset.ArkitToVrm);
            for (int r = 0; r < RemapPreset.ArkitToVroid.RuleCount; r++)
                StringAssert.StartsWith("Fcl_", RemapPreset.ArkitToVroid[r].Target);
            var vrm1 = new HashSet<string> { "happy", "angry", "sad", "relaxed", "surprised", "aa", "ih", "ou", "ee", "oh", "blink",
                "blinkLeft", "blinkRight", "lookUp", "lookDown", "lookLeft", "lookRight", "neutral" };
            for (int r = 0; r < RemapPreset.ArkitToVrm.RuleCount; r++)
                Assert.IsTrue(vrm1.Contains(RemapPreset.ArkitToVrm[r].Target), RemapPreset.ArkitToVrm[r].Target);
        }

        [Test]
        public void NeutralEaseFallsOverTheEaseTimeAndSnapsBackOnReconnect()
        {
            var ease = new NeutralEase();
            Assert.AreEqual(1f, ease.Step(true, 0.1f, 0.5f));
            float half = ease.Step(false, 0.25f, 0.5f);
            Assert.AreEqual(0.5f, half, 1e-5, "smoothstep(0.5)");
            Assert.IsFalse(ease.AtNeutral);
            Assert.AreEqual(0f, ease.Step(false, 0.25f, 0.5f));
            Assert.IsTrue(ease.AtNeutral);
            Assert.AreEqual(1f, ease.Step(true, 0.016f, 0.5f));
        }

        [Test]
        public void ExpressionWeightsEaseToNeutralThenStopWriting()
        {
            var w = new ExpressionWeights { NeutralEaseSeconds = 0.2f };
            var f = ArkitFrame("eyeBlinkLeft", 1f);
            var targets = new List<string> { "blinkLeft", "custom_thing" };
            Assert.IsTrue(w.Compute(f, targets, 0.016f, true));
            Assert.AreEqual(1f, w.Weights[0]);
            Assert.IsFalse(w.IsMapped(1));
            Assert.IsTrue(w.Compute(f, targets, 0.1f, false));
            Assert.AreEqual(0.5f, w.Weights[0], 1e-5);
            Assert.IsTrue(w.Compute(f, targets, 0.1f, false), "neutral is written once");
            Assert.AreEqual(0f, w.Weights[0]);
            Assert.IsFalse(w.Compute(f, targets, 0.1f, false), "then other systems own the face");
            Assert.IsTrue(w.Compute(f, targets, 0.016f, true));
            Assert.AreEqual(1f, w.Weights[0]);
        }
    }

    public class ReceiverReportTests
    {
        [Test]
        public void RatesComeFromSnapshotsHalfASecondApart()
        {
            var report = new ReceiverReport();
            var s = new ReceiverStatistics();
            report.Update(s, 10.0);
            s.Decoder.Packets = 60; s.Decoder.Frames = 30; s.Decoder.Bytes = 6000;
            report.Update(s, 10.2);
            Assert.AreEqual(0.0, report.PacketsPerSecond, "not before half a second");
            report.Update(s, 11.0);
            Assert.AreEqual(60.0, report.PacketsPerSecond, 1e-9);
            Assert.AreEqual(30.0, report.FramesPerSecond, 1e-9);
            Assert.AreEqual(6000.0, report.BytesPerSecond, 1e-9);
        }

        [Test]
        public void TheReportNamesInternalErrorsIncompleteReasonsAndLatency()
        {
            var s = new ReceiverStatistics { InternalErrors = 2, LastInternalError = "NullReferenceException: boom" };
            s.Decoder.MissingValues = 3;
            s.Decoder.LastIncomplete = IncompleteReason.MissingValues;
            var text = new List<string>();
            foreach (var line in ReceiverReport.Describe(s, 0.0123)) text.Add(line.Key + ": " + line.Value);
            string all = string.Join("\n", text.ToArray());
            StringAssert.Contains("Internal errors: 2 (please report: NullReferenceException: boom)", all);
            StringAssert.Contains("3 missing values", all);
            StringAssert.Contains("last: MissingValues", all);
            StringAssert.Contains("12.3 ms", all);
            StringAssert.Contains("n/a", string.Join("\n", ReceiverReport.Describe(s, double.NaN).ConvertAll(p => p.Value).ToArray()));
        }
    }
}
