using System.Collections.Generic;
using System.Text;
using FaceBridge.Core;
using NUnit.Framework;

namespace FaceBridge.Tests
{
    /// <summary>Records what the parser hands out, reading every argument through the public accessors.</summary>
    sealed class RecordingHandler : IOscMessageHandler
    {
        public readonly List<string> Addresses = new List<string>();
        public readonly List<string> Tags = new List<string>();
        public readonly List<ulong> Timetags = new List<ulong>();
        public readonly List<List<object>> Args = new List<List<object>>();

        public void OnMessage(OscMessage m)
        {
            Addresses.Add(m.GetAddress());
            Timetags.Add(m.Timetag);
            var tags = new StringBuilder();
            var args = new List<object>();
            for (int i = 0; i < m.ArgumentCount; i++)
            {
                char t = m.GetTag(i);
                tags.Append(t);
                int iv; long lv; float fv; double dv; bool bv; int bs, bl;
                if (m.TryGetInt(i, out iv)) args.Add(iv);
                else if (t == 'h' && m.TryGetLong(i, out lv)) args.Add(lv);
                else if (t == 'f' && m.TryGetFloat(i, out fv)) args.Add(fv);
                else if (t == 'd' && m.TryGetDouble(i, out dv)) args.Add(dv);
                else if (t == 's') args.Add(m.GetString(i));
                else if (m.TryGetBlob(i, out bs, out bl)) { var b = new byte[bl]; System.Array.Copy(m.Buffer, bs, b, 0, bl); args.Add(b); }
                else if (m.TryGetBool(i, out bv)) args.Add(bv);
                else if (m.IsNil(i)) args.Add(null);
                else args.Add("?" + t);
            }
            Tags.Add(tags.ToString());
            Args.Add(args);
        }
    }

    public class OscParserTests
    {
        static byte[] Bytes(OscWriter w)
        {
            var b = new byte[w.Length];
            System.Array.Copy(w.Buffer, b, w.Length);
            return b;
        }

        [Test]
        public void ParsesEveryTypeTag()
        {
            var w = new OscWriter(new byte[1024]);
            w.BeginMessage("/all/types");
            w.AddInt(-7); w.AddFloat(0.625f); w.AddString("héllo"); w.AddBlob(new byte[] { 1, 2, 3, 4, 5 }, 0, 5);
            w.AddBool(true); w.AddBool(false); w.AddNil(); w.AddDouble(-2.5e300); w.AddLong(-1234567890123L);
            w.EndMessage();
            var h = new RecordingHandler();
            var data = Bytes(w);
            Assert.AreEqual(OscParseStatus.Ok, new OscParser().Parse(data, data.Length, h));
            Assert.AreEqual("/all/types", h.Addresses[0]);
            Assert.AreEqual("ifsbTFNdh", h.Tags[0]);
            var a = h.Args[0];
            Assert.AreEqual(-7, a[0]);
            Assert.AreEqual(0.625f, a[1]);
            Assert.AreEqual("héllo", a[2]);
            CollectionAssert.AreEqual(new byte[] { 1, 2, 3, 4, 5 }, (byte[])a[3]);
            Assert.AreEqual(true, a[4]);
            Assert.AreEqual(false, a[5]);
            Assert.IsNull(a[6]);
            Assert.AreEqual(-2.5e300, a[7]);
            Assert.AreEqual(-1234567890123L, a[8]);
            Assert.AreEqual(OscParser.TimetagImmediately, h.Timetags[0]);
        }

        [Test]
        public void WalksNestedBundlesWithTheirOwnTimetags()
        {
            var w = new OscWriter(new byte[1024]);
            w.BeginBundle(0x1111111100000000UL);
            w.BeginMessage("/outer/a"); w.AddInt(1); w.EndMessage();
            w.BeginBundle(0x2222222200000000UL);
            w.BeginMessage("/inner/b"); w.AddFloat(2f); w.EndMessage();
            w.BeginBundle(1UL);
            w.EndBundle(); // an empty bundle is legal
            w.EndBundle();
            w.BeginMessage("/outer/c"); w.EndMessage();
            w.EndBundle();
            var data = Bytes(w);
            var h = new RecordingHandler();
            Assert.AreEqual(OscParseStatus.Ok, new OscParser().Parse(data, data.Length, h));
            CollectionAssert.AreEqual(new[] { "/outer/a", "/inner/b", "/outer/c" }, h.Addresses);
            CollectionAssert.AreEqual(new[] { 0x1111111100000000UL, 0x2222222200000000UL, 0x1111111100000000UL }, h.Timetags);
            Assert.AreEqual("", h.Tags[2]);
        }

        [Test]
        public void AcceptsAMessageWithoutTypeTagString()
        {
            var data = Encoding.ASCII.GetBytes("/ping\0\0\0");
            var h = new RecordingHandler();
            Assert.AreEqual(OscParseStatus.Ok, new OscParser().Parse(data, data.Length, h));
            Assert.AreEqual(0, h.Tags[0].Length);
        }

        [TestCase("", OscParseStatus.Empty)]
        [TestCase("/ab", OscParseStatus.Misaligned)]
        [TestCase("/abc", OscParseStatus.Truncated)]
        [TestCase("abc\0", OscParseStatus.BadAddress)]
        [TestCase("/ab\0i\0\0\0", OscParseStatus.BadTypeTags)]
        [TestCase("/ab\0,i\0\0", OscParseStatus.Truncated)]
        [TestCase("/ab\0,Q\0\0\0\0\0\0", OscParseStatus.UnknownTypeTag)]
        [TestCase("/ab\0,i\0\0\0\0\0\0\0\0\0\0", OscParseStatus.TrailingBytes)]
        [TestCase("/ab\0,s\0\0abcd", OscParseStatus.Truncated)]
        [TestCase("/ab\0,b\0\0\0\0\0\u0009abcd", OscParseStatus.Truncated)]
        [TestCase("#bundle\0\0\0\0\0", OscParseStatus.Truncated)]
        [TestCase("#bundle\0\0\0\0\0\0\0\0\u0001\u007f\u007f\u007f\u007f", OscParseStatus.BadBundle)]
        [TestCase("#bundle\0\0\0\0\0\0\0\0\u0001\0\0\0\u0006/ab\0", OscParseStatus.BadBundle)]
        public void RejectsMalformedPackets(string packet, OscParseStatus expected)
        {
            var data = Encoding.GetEncoding("iso-8859-1").GetBytes(packet);
            var h = new RecordingHandler();
            var parser = new OscParser();
            Assert.AreEqual(expected, parser.Parse(data, data.Length, h));
            Assert.AreEqual(0, h.Addresses.Count, "a rejected packet must dispatch nothing");
            Assert.AreEqual(0, parser.InternalErrors);
        }

        [Test]
        public void MalformedLaterElementMeansNothingIsDispatched()
        {
            var w = new OscWriter(new byte[256]);
            w.BeginBundle(1);
            w.BeginMessage("/good"); w.AddInt(1); w.EndMessage();
            w.BeginMessage("/bad"); w.AddInt(2); w.EndMessage();
            w.EndBundle();
            var data = Bytes(w);
            data[data.Length - 7] = (byte)'Q'; // corrupt the second message's tag: ",i" -> ",Q"
            var h = new RecordingHandler();
            Assert.AreEqual(OscParseStatus.UnknownTypeTag, new OscParser().Parse(data, data.Length, h));
            Assert.AreEqual(0, h.Addresses.Count);
        }

        [Test]
        public void RejectsBundlesNestedTooDeep()
        {
            var w = new OscWriter(new byte[1024]);
            for (int i = 0; i < OscParser.MaxBundleDepth; i++) w.BeginBundle(1);
            for (int i = 0; i < OscParser.MaxBundleDepth; i++) w.EndBundle();
            var ok = Bytes(w);
            Assert.AreEqual(OscParseStatus.Ok, new OscParser().Parse(ok, ok.Length, null));
            // wrap it once more by hand
            var deeper = new byte[ok.Length + 20];
            Encoding.ASCII.GetBytes("#bundle\0").CopyTo(deeper, 0);
            deeper[15] = 1;
            BigEndian.WriteInt32(deeper, 16, ok.Length);
            ok.CopyTo(deeper, 20);
            Assert.AreEqual(OscParseStatus.TooDeep, new OscParser().Parse(deeper, deeper.Length, null));
        }

        [Test]
        public void NeverReadsPastTheGivenLength()
        {
            // The same bytes inside a larger buffer followed by garbage must parse exactly like the exact-size copy.
            var w = new OscWriter(new byte[256]);
            w.BeginMessage("/x"); w.AddString("abc"); w.EndMessage();
            var exact = Bytes(w);
            for (int cut = 4; cut <= exact.Length; cut += 4)
            {
                var alone = new byte[cut];
                System.Array.Copy(exact, alone, cut);
                var padded = new byte[cut + 64];
                System.Array.Copy(exact, padded, cut);
                for (int i = cut; i < padded.Length; i++) padded[i] = (byte)'z';
                var parser = new OscParser();
                Assert.AreEqual(parser.Parse(alone, cut, null), parser.Parse(padded, cut, null), "cut at " + cut);
                Assert.AreEqual(0, parser.InternalErrors);
            }
        }

        [Test]
        public void AccessorsRejectWrongTagsAndIndexes()
        {
            var w = new OscWriter(new byte[256]);
            w.BeginMessage("/m"); w.AddString("s"); w.AddFloat(1.5f); w.EndMessage();
            var data = Bytes(w);
            OscMessage seen = null;
            int i0; float f; int bs, bl;
            var handler = new DelegateHandler(m =>
            {
                Assert.IsFalse(m.TryGetInt(0, out i0));
                Assert.IsFalse(m.TryGetFloat(0, out f));
                Assert.IsTrue(m.TryGetFloat(1, out f));
                Assert.AreEqual(1.5f, f);
                Assert.IsFalse(m.TryGetFloat(2, out f));
                Assert.IsFalse(m.TryGetFloat(-1, out f));
                Assert.IsFalse(m.TryGetBlob(1, out bs, out bl));
                Assert.AreEqual('\0', m.GetTag(99));
                Assert.IsNull(m.GetString(1));
                seen = m;
            });
            Assert.AreEqual(OscParseStatus.Ok, new OscParser().Parse(data, data.Length, handler));
            Assert.IsNotNull(seen);
        }
    }

    sealed class DelegateHandler : IOscMessageHandler
    {
        readonly System.Action<OscMessage> _action;
        public DelegateHandler(System.Action<OscMessage> action) { _action = action; }
        public void OnMessage(OscMessage message) { _action(message); }
    }
}
