using System;
using System.Diagnostics;
using System.IO;
using System.Reflection;
using FaceBridge.Core;
using NUnit.Framework;

namespace FaceBridge.Tests
{
    /// <summary>
    /// Steady-state cost of decoding: packets per second (printed, never asserted) and bytes allocated per
    /// decoded frame (asserted to be 0 where the runtime can measure it per thread). Figures also go to
    /// FACEBRIDGE_BENCH_OUT when that environment variable names a file.
    /// </summary>
    public class BenchmarkTests
    {
        static readonly Func<long> AllocatedBytes = FindAllocationCounter();

        static Func<long> FindAllocationCounter()
        {
            // GC.GetAllocatedBytesForCurrentThread exists on Mono 6 and .NET Core, not on every Unity profile.
            var method = typeof(GC).GetMethod("GetAllocatedBytesForCurrentThread", BindingFlags.Public | BindingFlags.Static);
            if (method == null) return null;
            return (Func<long>)Delegate.CreateDelegate(typeof(Func<long>), method);
        }

        static float[] Values(int n, int frame)
        {
            var v = new float[n];
            for (int i = 0; i < n; i++) v[i] = ((i * 7 + frame) % 100) / 100f;
            return v;
        }

        internal static void Report(string line)
        {
            Console.WriteLine(line);
            string path = Environment.GetEnvironmentVariable("FACEBRIDGE_BENCH_OUT");
            if (!string.IsNullOrEmpty(path)) File.AppendAllText(path, line + Environment.NewLine);
        }

        [TestCase(52)]
        [TestCase(169)]
        public void FacebridgeDecodeIsAllocationFreeAndFast(int shapes)
        {
            var names = new string[shapes];
            for (int i = 0; i < shapes; i++) names[i] = "shape" + i;
            var decoder = new FacebridgeDecoder();
            var table = TestPackets.Names(3, "bench", names);
            const int distinct = 64;
            var frames = new byte[distinct][];
            for (int i = 0; i < distinct; i++) frames[i] = TestPackets.Frame(i, 3, Values(shapes, i));
            var consumer = new FaceFrame();
            // warm up: JIT, first table, buffer growth
            decoder.Decode(table, table.Length);
            for (int i = 0; i < distinct; i++) decoder.Decode(frames[i], frames[i].Length);
            consumer.CopyFrom(decoder.Frame);

            const int iterations = 50000;
            var sw = new Stopwatch(); // created before the measurement: it is an allocation itself
            long before = AllocatedBytes != null ? AllocatedBytes() : GC.GetTotalMemory(false);
            sw.Start();
            int decoded = 0;
            for (int i = 0; i < iterations; i++)
            {
                int k = i % distinct;
                if (decoder.Decode(frames[k], frames[k].Length)) decoded++;
                if (k == 0) decoder.Decode(table, table.Length); // the periodic names resend
                consumer.CopyFrom(decoder.Frame);                 // what the main thread does
            }
            sw.Stop();
            long after = AllocatedBytes != null ? AllocatedBytes() : GC.GetTotalMemory(false);
            double perFrame = (after - before) / (double)decoded;
            Report(string.Format("benchmark facebridge {0} shapes ({1} bytes/packet): {2:F0} packets/s, {3:F2} us/packet, " +
                                 "{4:F1} bytes allocated per decoded frame ({5})",
                shapes, frames[0].Length, iterations / sw.Elapsed.TotalSeconds, sw.Elapsed.TotalMilliseconds * 1000 / iterations,
                perFrame, AllocatedBytes != null ? "GC.GetAllocatedBytesForCurrentThread" : "GC.GetTotalMemory, approximate"));
            Assert.AreEqual(iterations, decoded);
            if (AllocatedBytes != null) Assert.AreEqual(0.0, perFrame, "steady-state decoding must not allocate");
        }

        [Test]
        public void VmcDecodeIsAllocationFreeForKnownNames()
        {
            var w = new OscWriter(new byte[8192]);
            w.BeginBundle(1);
            for (int i = 0; i < 52; i++)
            {
                w.BeginMessage("/VMC/Ext/Blend/Val"); w.AddString(TestPackets.Arkit52[i]); w.AddFloat(i / 52f); w.EndMessage();
            }
            w.BeginMessage("/VMC/Ext/Blend/Apply"); w.EndMessage();
            w.EndBundle();
            var packet = new byte[w.Length];
            Array.Copy(w.Buffer, packet, w.Length);
            var decoder = new VmcBlendshapeDecoder();
            decoder.Decode(packet, packet.Length);
            const int iterations = 20000;
            var sw = new Stopwatch();
            long before = AllocatedBytes != null ? AllocatedBytes() : GC.GetTotalMemory(false);
            sw.Start();
            for (int i = 0; i < iterations; i++) decoder.Decode(packet, packet.Length);
            sw.Stop();
            long after = AllocatedBytes != null ? AllocatedBytes() : GC.GetTotalMemory(false);
            double perFrame = (after - before) / (double)iterations;
            Report(string.Format("benchmark vmc 52 shapes ({0} bytes/packet): {1:F0} packets/s, {2:F1} bytes allocated per frame",
                packet.Length, iterations / sw.Elapsed.TotalSeconds, perFrame));
            Assert.AreEqual(iterations + 1, decoder.Statistics.Frames);
            if (AllocatedBytes != null) Assert.AreEqual(0.0, perFrame);
        }
    }
}
