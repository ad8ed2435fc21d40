using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FaceBridge.Core;
using NUnit.Framework;

namespace FaceBridge.Tests
{
    /// <summary>
    /// Cross-language conformance: decodes every binary vector the Python encoder wrote (tests/vectors/*.bin)
    /// and compares with the expected JSON beside it. Finds the folder through FACEBRIDGE_VECTORS or by walking up
    /// from the working directory to a repository's tests/vectors; ignored when neither exists (e.g. inside Unity).
    /// </summary>
    public class ProtocolVectorTests
    {
        public static string VectorDirectory()
        {
            string env = Environment.GetEnvironmentVariable("FACEBRIDGE_VECTORS");
            if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return env;
            var dir = new DirectoryInfo(Directory.GetCurrentDirectory());
            while (dir != null)
            {
                string candidate = Path.Combine(Path.Combine(dir.FullName, "tests"), "vectors");
                if (Directory.Exists(candidate)) return candidate;
                dir = dir.Parent;
            }
            return null;
        }

        static string RequireVectors()
        {
            string dir = VectorDirectory();
            if (dir == null || Directory.GetFiles(dir, "*.bin").Length == 0)
                Assert.Ignore("tests/vectors not found (set FACEBRIDGE_VECTORS to the repository's tests/vectors)");
            return dir;
        }

        static Dictionary<string, object> Expected(string binPath)
        {
            return (Dictionary<string, object>)MiniJson.Parse(File.ReadAllText(Path.ChangeExtension(binPath, ".json")));
        }

        static double Num(object o) { return ((MiniJson.JsonNumber)o).Double; }
        static long Int(object o) { return ((MiniJson.JsonNumber)o).Long; }
        static List<object> List(Dictionary<string, object> d, string key) { return (List<object>)d[key]; }

        [Test]
        public void EveryVectorDecodesToItsJson()
        {
            string dir = RequireVectors();
            var files = Directory.GetFiles(dir, "*.bin").OrderBy(f => f, StringComparer.Ordinal).ToArray();
            Assert.GreaterOrEqual(files.Length, 15);
            int valid = 0, invalid = 0;
            foreach (string path in files)
            {
                string name = Path.GetFileName(path);
                byte[] data = File.ReadAllBytes(path);
                var expected = Expected(path);
                Assert.AreEqual(Int(expected["size"]), data.Length, name);
                Assert.LessOrEqual(data.Length, 1472, name + " exceeds the MTU budget");
                var decoder = new FacebridgeDecoder();
                if (!(bool)expected["valid"])
                {
                    Assert.IsFalse(decoder.Decode(data, data.Length), name);
                    Assert.AreEqual(1, decoder.Statistics.Malformed, name + " must be rejected as malformed");
                    invalid++;
                    continue;
                }
                var h = new RecordingHandler();
                Assert.AreEqual(OscParseStatus.Ok, new OscParser().Parse(data, data.Length, h), name);
                decoder.Decode(data, data.Length);
                Assert.AreEqual(0, decoder.Statistics.Malformed, name);
                var messages = List(expected, "messages");
                Assert.AreEqual(messages.Count, h.Addresses.Count, name);
                for (int i = 0; i < messages.Count; i++)
                {
                    var m = (Dictionary<string, object>)messages[i];
                    Assert.AreEqual(((MiniJson.JsonNumber)expected["timetag_ntp"]).ULong, h.Timetags[i], name);
                    CompareMessage(name, (string)m["type"], m, h.Addresses[i], h.Args[i]);
                }
                valid++;
            }
            Assert.Greater(valid, 10);
            Assert.Greater(invalid, 2);
        }

        static void CompareMessage(string file, string type, Dictionary<string, object> m, string address, List<object> args)
        {
            string where = file + " " + type;
            Assert.AreEqual("/fb/v1/" + type, address, where);
            switch (type)
            {
                case "names":
                    Assert.AreEqual(Int(m["table_id"]), (int)args[0], where);
                    Assert.AreEqual((string)m["rig"], (string)args[1], where);
                    Assert.AreEqual(Int(m["total"]), (int)args[2], where);
                    Assert.AreEqual(Int(m["offset"]), (int)args[3], where);
                    CollectionAssert.AreEqual(List(m, "names").Cast<string>().ToArray(), args.Skip(4).Cast<string>().ToArray(), where);
                    break;
                case "frame":
                    Assert.AreEqual(Int(m["sequence"]), (int)args[0], where);
                    Assert.AreEqual(Int(m["table_id"]), (int)args[1], where);
                    Assert.AreEqual(Int(m["value_count"]), (int)args[2], where);
                    break;
                case "tracking":
                    Assert.AreEqual(Int(m["flags"]), (int)args[0], where);
                    CompareFloats(where, List(m, "confidence"), args.Skip(1));
                    break;
                case "emotion":
                    Assert.AreEqual(Int(m["label_index"]), (int)args[0], where);
                    Assert.AreEqual((string)m["label"], (string)args[1], where);
                    CompareFloats(where, List(m, "probs"), args.Skip(2));
                    break;
                case "affect":
                    Assert.AreEqual((float)Num(m["valence"]), (float)args[0], where);
                    Assert.AreEqual((float)Num(m["arousal"]), (float)args[1], where);
                    break;
                case "light":
                    CompareFloats(where, new List<object> { m["r"], m["g"], m["b"], m["intensity"], m["transition_s"] }, args);
                    break;
                case "values":
                    Assert.AreEqual(Int(m["sequence"]), (int)args[0], where);
                    Assert.AreEqual(Int(m["table_id"]), (int)args[1], where);
                    Assert.AreEqual(Int(m["offset"]), (int)args[2], where);
                    CompareFloats(where, List(m, "values"), args.Skip(3));
                    break;
                default:
                    Assert.Fail("unknown message type " + type + " in " + file);
                    break;
            }
        }

        static void CompareFloats(string where, List<object> expected, IEnumerable<object> actual)
        {
            var got = actual.Cast<float>().ToArray();
            Assert.AreEqual(expected.Count, got.Length, where);
            for (int i = 0; i < got.Length; i++)
                Assert.AreEqual((float)Num(expected[i]), got[i], where + " [" + i + "] (float32 must travel exactly)");
        }

        [TestCase("arkit52", 2)]
        [TestCase("unified", 1)]
        [TestCase("bigrig", 1)]
        [TestCase("tiny", 1)]
        public void StreamsAssembleIntoFramesThatMatchTheJson(string stream, int expectedFrames)
        {
            string dir = RequireVectors();
            var files = Directory.GetFiles(dir, stream + "_*.bin").OrderBy(f => f, StringComparer.Ordinal).ToArray();
            var decoder = new FacebridgeDecoder();
            var names = new List<string>();
            var values = new Dictionary<int, float>();
            int frames = 0;
            int lastSequence = -1;
            foreach (string path in files)
            {
                byte[] data = File.ReadAllBytes(path);
                foreach (Dictionary<string, object> m in List(Expected(path), "messages"))
                {
                    if ((string)m["type"] == "names") names.AddRange(List(m, "names").Cast<string>());
                    if ((string)m["type"] == "frame") { values.Clear(); lastSequence = (int)Int(m["sequence"]); }
                    if ((string)m["type"] == "values")
                    {
                        int offset = (int)Int(m["offset"]);
                        var v = List(m, "values");
                        for (int i = 0; i < v.Count; i++) values[offset + i] = (float)Num(v[i]);
                    }
                }
                if (!decoder.Decode(data, data.Length)) continue;
                frames++;
            }
            var frame = decoder.Frame;
            Assert.AreEqual(expectedFrames, frames, stream);
            Assert.AreEqual(0, decoder.Statistics.Malformed);
            Assert.AreEqual(0, decoder.Statistics.Lost);
            Assert.AreEqual(lastSequence, frame.Sequence);
            CollectionAssert.AreEqual(names.GetRange(0, frame.Names.Length).ToArray(), frame.Names, "names table");
            Assert.AreEqual(values.Count, frame.ValueCount);
            for (int i = 0; i < frame.ValueCount; i++) Assert.AreEqual(values[i], frame.Values[i], "value " + i);
        }

        [Test]
        public void UnifiedVectorCarriesLightFlagsAndCaptureTime()
        {
            string dir = RequireVectors();
            var decoder = new FacebridgeDecoder();
            foreach (string path in Directory.GetFiles(dir, "unified_*.bin").OrderBy(f => f, StringComparer.Ordinal))
            {
                var data = File.ReadAllBytes(path);
                decoder.Decode(data, data.Length);
            }
            var frame = decoder.Frame;
            Assert.AreEqual("unified_expressions", frame.Rig);
            Assert.AreEqual("sadness", frame.EmotionLabel);
            Assert.IsTrue(frame.HasLight);
            Assert.AreEqual(1.5f, frame.Light.TransitionSeconds);
            Assert.AreEqual(TrackingFlags.CameraLost | TrackingFlags.EasingToNeutral, frame.Flags);
            Assert.AreEqual(1790000000.25, frame.CaptureUnixSeconds, 1e-6);
            CollectionAssert.AreEqual(new[] { 1f, 0.875f, 0.5f, 0f }, frame.Confidence);
        }
    }
}
