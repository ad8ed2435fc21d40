using System;
using System.Collections.Generic;
using System.IO;
using FaceBridge.Core;
using NUnit.Framework;

namespace FaceBridge.Tests
{
    /// <summary>
    /// Tens of thousands of random and mutated packets: no exception may escape, the parser's internal-error
    /// counter must stay 0 (an out-of-range read would land there, since every packet is an exact-size array),
    /// and the whole run must finish (the Timeout catches a hang).
    /// </summary>
    public class FuzzTests
    {
        const int RandomPackets = 20000;
        const int MutatedPackets = 40000;

        /// <summary>Touches every argument through every accessor, as a careless user handler might.</summary>
        sealed class GreedyHandler : IOscMessageHandler
        {
            public long Messages;

            public void OnMessage(OscMessage m)
            {
                Messages++;
                int iv, s, l; long lv; float fv; double dv; bool bv;
                for (int i = -1; i <= m.ArgumentCount; i++)
                {
                    m.TryGetInt(i, out iv); m.TryGetLong(i, out lv); m.TryGetFloat(i, out fv);
                    m.TryGetDouble(i, out dv); m.TryGetBool(i, out bv); m.IsNil(i);
                    m.TryGetStringBytes(i, out s, out l); m.TryGetBlob(i, out s, out l);
                    m.GetString(i);
                }
                m.GetAddress();
            }
        }

        static List<byte[]> Seeds()
        {
            var seeds = new List<byte[]>
            {
                TestPackets.Names(5, "arkit52", TestPackets.Arkit52),
                TestPackets.Frame(1, 5, new float[52]),
            };
            var w = new OscWriter(new byte[512]);
            w.BeginBundle(1);
            w.BeginMessage("/VMC/Ext/Blend/Val"); w.AddString("Joy"); w.AddFloat(0.5f); w.EndMessage();
            w.BeginBundle(2);
            w.BeginMessage("/t"); w.AddBlob(new byte[] { 1, 2, 3 }, 0, 3); w.AddDouble(1); w.AddLong(2); w.AddBool(true); w.AddNil(); w.EndMessage();
            w.EndBundle();
            w.BeginMessage("/VMC/Ext/Blend/Apply"); w.EndMessage();
            w.EndBundle();
            var vmc = new byte[w.Length];
            Array.Copy(w.Buffer, vmc, w.Length);
            seeds.Add(vmc);
            string dir = ProtocolVectorTests.VectorDirectory();
            if (dir != null)
                foreach (var f in Directory.GetFiles(dir, "*.bin")) seeds.Add(File.ReadAllBytes(f));
            return seeds;
        }

        static byte[] Mutate(byte[] seed, Random rng)
        {
            byte[] p;
            switch (rng.Next(6))
            {
                case 0: // truncate (keeps or breaks 4-alignment)
                    p = new byte[rng.Next(seed.Length + 1)];
                    Array.Copy(seed, p, p.Length);
                    return p;
                case 1: // flip random bits
                    p = (byte[])seed.Clone();
                    for (int i = rng.Next(1, 8); i > 0 && p.Length > 0; i--) p[rng.Next(p.Length)] ^= (byte)(1 << rng.Next(8));
                    return p;
                case 2: // overwrite an aligned int with an extreme value (sizes, counts, offsets)
                    p = (byte[])seed.Clone();
                    if (p.Length >= 4)
                    {
                        int[] extremes = { 0, -1, int.MinValue, int.MaxValue, 4, 3, p.Length, p.Length + 4, 1 << 20 };
                        BigEndian.WriteInt32(p, rng.Next(p.Length / 4) * 4, extremes[rng.Next(extremes.Length)]);
                    }
                    return p;
                case 3: // replace a byte with an interesting character (tags, separators, NUL)
                    p = (byte[])seed.Clone();
                    byte[] chars = { 0, (byte)',', (byte)'/', (byte)'#', (byte)'s', (byte)'b', (byte)'i', (byte)'h', (byte)'d', (byte)'[', (byte)'Z' };
                    if (p.Length > 0) p[rng.Next(p.Length)] = chars[rng.Next(chars.Length)];
                    return p;
                case 4: // the packet twice in a row (trailing data after a complete packet)
                    p = new byte[seed.Length * 2];
                    Array.Copy(seed, p, seed.Length);
                    Array.Copy(seed, 0, p, seed.Length, seed.Length);
                    return p;
                default: // append garbage
                    p = new byte[seed.Length + rng.Next(1, 16)];
                    Array.Copy(seed, p, seed.Length);
                    for (int i = seed.Length; i < p.Length; i++) p[i] = (byte)rng.Next(256);
                    return p;
            }
        }

        static void FeedAll(byte[] p, OscParser parser, GreedyHandler handler, FacebridgeDecoder fb, VmcBlendshapeDecoder vmc)
        {
            parser.Parse(p, p.Length, handler);
            fb.Decode(p, p.Length);
            vmc.Decode(p, p.Length);
        }

        [Test, Timeout(120000)]
        public void RandomAndMutatedPacketsNeverThrowOrReadOutOfRange()
        {
            var rng = new Random(12345);
            var parser = new OscParser();
            var handler = new GreedyHandler();
            var fb = new FacebridgeDecoder();
            var vmc = new VmcBlendshapeDecoder();
            var ok = 0;
            for (int i = 0; i < RandomPackets; i++)
            {
                var p = new byte[rng.Next(0, 1500)];
                rng.NextBytes(p);
                if (i % 3 == 0 && p.Length >= 8) { p[0] = (byte)'#'; p[1] = (byte)'b'; p[2] = (byte)'u'; p[3] = (byte)'n'; p[4] = (byte)'d'; p[5] = (byte)'l'; p[6] = (byte)'e'; p[7] = 0; }
                else if (i % 3 == 1 && p.Length > 0) p[0] = (byte)'/';
                FeedAll(p, parser, handler, fb, vmc);
            }
            var seeds = Seeds();
            for (int i = 0; i < MutatedPackets; i++)
            {
                var p = Mutate(seeds[rng.Next(seeds.Count)], rng);
                if (new OscParser().Parse(p, p.Length, null) == OscParseStatus.Ok) ok++;
                FeedAll(p, parser, handler, fb, vmc);
            }
            Assert.AreEqual(0, parser.InternalErrors, "parser hit an internal error (out-of-range read?)");
            Assert.AreEqual(0, fb.ParserInternalErrors);
            Assert.Greater(handler.Messages, 1000, "mutations must still reach the handlers");
            Assert.Greater(ok, 1000);
            BenchmarkTests.Report(string.Format("fuzz: {0} random + {1} mutated packets, {2} still valid OSC, {3} messages " +
                "dispatched, facebridge decoder: {4} malformed / {5} frames, 0 internal errors",
                RandomPackets, MutatedPackets, ok, handler.Messages, fb.Statistics.Malformed, fb.Statistics.Frames));
        }
    }
}
