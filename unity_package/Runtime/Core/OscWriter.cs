using System;
using System.Text;

namespace FaceBridge.Core
{
    /// <summary>
    /// Writes OSC 1.0 packets into a caller-owned byte[] (messages and bundles, tags i f s b T F N d h).
    /// Used by the tests and handy for sending to the bridge's control port. Throws
    /// InvalidOperationException when the buffer is too small or calls are out of order (a programming error).
    /// </summary>
    public sealed class OscWriter
    {
        static readonly byte[] BundleHead = Encoding.ASCII.GetBytes("#bundle\0");
        readonly byte[] _buffer;
        readonly char[] _tags = new char[OscMessage.MaxArguments + 1];
        int _tagCount;
        int _messageStart = -1;
        readonly byte[] _args;
        int _argsLength;
        readonly int[] _bundleStack = new int[OscParser.MaxBundleDepth + 1];
        int _bundleDepth;

        public OscWriter(byte[] buffer)
        {
            if (buffer == null) throw new ArgumentNullException("buffer");
            _buffer = buffer;
            _args = new byte[buffer.Length];
        }

        /// <summary>Bytes written so far.</summary>
        public int Length { get; private set; }

        public byte[] Buffer { get { return _buffer; } }

        /// <summary>Start over at the beginning of the buffer.</summary>
        public void Reset()
        {
            Length = 0;
            _bundleDepth = 0;
            _messageStart = -1;
        }

        void Need(int n)
        {
            if (Length + n > _buffer.Length) throw new InvalidOperationException("OscWriter: buffer too small");
        }

        void WriteBytes(byte[] src, int count)
        {
            Need(count);
            Array.Copy(src, 0, _buffer, Length, count);
            Length += count;
        }

        void WritePaddedString(string s)
        {
            int n = Encoding.UTF8.GetByteCount(s);
            int padded = (n / 4 + 1) * 4;
            Need(padded);
            Encoding.UTF8.GetBytes(s, 0, s.Length, _buffer, Length);
            for (int i = n; i < padded; i++) _buffer[Length + i] = 0;
            Length += padded;
        }

        /// <summary>Open a bundle with an NTP timetag (1 = immediately). Close it with EndBundle.</summary>
        public void BeginBundle(ulong timetag)
        {
            if (_messageStart >= 0) throw new InvalidOperationException("OscWriter: finish the message first");
            if (_bundleDepth > 0) { Need(4); _bundleStack[_bundleDepth] = Length; Length += 4; }
            else _bundleStack[0] = -1;
            _bundleDepth++;
            WriteBytes(BundleHead, 8);
            Need(8);
            BigEndian.WriteInt32(_buffer, Length, (int)(timetag >> 32));
            BigEndian.WriteInt32(_buffer, Length + 4, (int)timetag);
            Length += 8;
        }

        public void EndBundle()
        {
            if (_bundleDepth == 0) throw new InvalidOperationException("OscWriter: no open bundle");
            _bundleDepth--;
            int sizeAt = _bundleStack[_bundleDepth];
            if (_bundleDepth > 0 && sizeAt >= 0) BigEndian.WriteInt32(_buffer, sizeAt, Length - sizeAt - 4);
        }

        /// <summary>Start a message; add arguments, then EndMessage.</summary>
        public void BeginMessage(string address)
        {
            if (_messageStart >= 0) throw new InvalidOperationException("OscWriter: previous message not ended");
            if (_bundleDepth > 0) { Need(4); Length += 4; } // element size, filled in by EndMessage
            _messageStart = Length;
            WritePaddedString(address);
            _tagCount = 0;
            _tags[_tagCount++] = ',';
            _argsLength = 0;
        }

        void Tag(char c)
        {
            if (_messageStart < 0) throw new InvalidOperationException("OscWriter: BeginMessage first");
            _tags[_tagCount++] = c;
        }

        void ArgInt(int v) { BigEndian.WriteInt32(_args, _argsLength, v); _argsLength += 4; }

        public void AddInt(int v) { Tag('i'); ArgInt(v); }
        public void AddFloat(float v) { Tag('f'); BigEndian.WriteFloat(_args, _argsLength, v); _argsLength += 4; }
        public void AddBool(bool v) { Tag(v ? 'T' : 'F'); }
        public void AddNil() { Tag('N'); }

        public void AddLong(long v) { Tag('h'); ArgInt((int)(v >> 32)); ArgInt((int)v); }

        public void AddDouble(double v)
        {
            Tag('d');
            long bits = BitConverter.DoubleToInt64Bits(v);
            ArgInt((int)(bits >> 32));
            ArgInt((int)bits);
        }

        public void AddString(string s)
        {
            Tag('s');
            int n = Encoding.UTF8.GetBytes(s, 0, s.Length, _args, _argsLength);
            int padded = (n / 4 + 1) * 4;
            for (int i = n; i < padded; i++) _args[_argsLength + i] = 0;
            _argsLength += padded;
        }

        public void AddBlob(byte[] data, int offset, int count)
        {
            Tag('b');
            ArgInt(count);
            Array.Copy(data, offset, _args, _argsLength, count);
            int padded = (count + 3) & ~3;
            for (int i = count; i < padded; i++) _args[_argsLength + i] = 0;
            _argsLength += padded;
        }

        public void EndMessage()
        {
            if (_messageStart < 0) throw new InvalidOperationException("OscWriter: no open message");
            int tagBytes = (_tagCount / 4 + 1) * 4;
            Need(tagBytes + _argsLength);
            for (int i = 0; i < tagBytes; i++) _buffer[Length + i] = i < _tagCount ? (byte)_tags[i] : (byte)0;
            Length += tagBytes;
            Array.Copy(_args, 0, _buffer, Length, _argsLength);
            Length += _argsLength;
            if (_bundleDepth > 0) BigEndian.WriteInt32(_buffer, _messageStart - 4, Length - _messageStart);
            _messageStart = -1;
        }
    }
}
