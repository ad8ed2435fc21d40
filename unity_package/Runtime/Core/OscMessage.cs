using System;
using System.Runtime.InteropServices;
using System.Text;

namespace FaceBridge.Core
{
    /// <summary>
    /// A view of one OSC message inside a received packet: offsets into the caller's buffer, no copies.
    /// One instance is reused for every message, so handlers must not keep it after OnMessage returns.
    /// Every accessor is bounds-checked against the validated argument table and never throws.
    /// </summary>
    public sealed class OscMessage
    {
        /// <summary>Most arguments a message may carry (a 1,472-byte datagram holds fewer than 1,472 tags).</summary>
        public const int MaxArguments = 2048;

        byte[] _buffer;
        int _addressStart, _addressLength;
        int _tagStart; // index of the first tag character after ','
        int _argCount;
        int _messageStart, _messageEnd;
        readonly int[] _argOffsets = new int[MaxArguments];

        /// <summary>Timetag (NTP 32.32) of the innermost enclosing bundle; 1 ("immediately") for a bare message.</summary>
        public ulong Timetag { get; private set; }

        /// <summary>Number of arguments (type tags after the comma).</summary>
        public int ArgumentCount { get { return _argCount; } }

        /// <summary>The address length in bytes (UTF-8, without padding).</summary>
        public int AddressLength { get { return _addressLength; } }

        internal int[] ArgumentOffsets { get { return _argOffsets; } }

        /// <summary>Where the whole message (address to last argument) starts in <see cref="Buffer"/>.</summary>
        public int MessageStart { get { return _messageStart; } }

        /// <summary>Length in bytes of the whole message in <see cref="Buffer"/> (copy it to keep the message).</summary>
        public int MessageLength { get { return _messageEnd - _messageStart; } }

        internal void Set(byte[] buffer, int addressStart, int addressLength, int tagStart, int argCount, ulong timetag,
                          int messageEnd)
        {
            _buffer = buffer;
            _messageStart = addressStart;
            _messageEnd = messageEnd;
            _addressStart = addressStart;
            _addressLength = addressLength;
            _tagStart = tagStart;
            _argCount = argCount;
            Timetag = timetag;
        }

        /// <summary>True when the address is exactly these ASCII/UTF-8 bytes (no allocation).</summary>
        public bool AddressEquals(byte[] address)
        {
            if (address == null || address.Length != _addressLength) return false;
            for (int i = 0; i < _addressLength; i++)
                if (_buffer[_addressStart + i] != address[i]) return false;
            return true;
        }

        /// <summary>True when the address starts with these bytes (no allocation).</summary>
        public bool AddressStartsWith(byte[] prefix)
        {
            if (prefix == null || prefix.Length > _addressLength) return false;
            for (int i = 0; i < prefix.Length; i++)
                if (_buffer[_addressStart + i] != prefix[i]) return false;
            return true;
        }

        /// <summary>The address as a new string. Allocates: use AddressEquals on hot paths.</summary>
        public string GetAddress()
        {
            return Encoding.UTF8.GetString(_buffer, _addressStart, _addressLength);
        }

        /// <summary>Type tag of argument i ('i', 'f', 's', ...), or '\0' when out of range.</summary>
        public char GetTag(int index)
        {
            if ((uint)index >= (uint)_argCount) return '\0';
            return (char)_buffer[_tagStart + index];
        }

        /// <summary>True when the type tags are exactly this signature (without the leading comma), e.g. "iff".</summary>
        public bool TagsEqual(string signature)
        {
            if (signature == null || signature.Length != _argCount) return false;
            for (int i = 0; i < _argCount; i++)
                if (_buffer[_tagStart + i] != signature[i]) return false;
            return true;
        }

        /// <summary>True when the tags start with <paramref name="prefix"/> and every later tag is <paramref name="rest"/>.</summary>
        public bool TagsMatch(string prefix, char rest)
        {
            if (prefix == null || prefix.Length > _argCount) return false;
            for (int i = 0; i < prefix.Length; i++)
                if (_buffer[_tagStart + i] != prefix[i]) return false;
            for (int i = prefix.Length; i < _argCount; i++)
                if (_buffer[_tagStart + i] != rest) return false;
            return true;
        }

        /// <summary>Argument i as int32 ('i'); false for any other tag or index.</summary>
        public bool TryGetInt(int index, out int value)
        {
            value = 0;
            if (GetTag(index) != 'i') return false;
            value = BigEndian.ReadInt32(_buffer, _argOffsets[index]);
            return true;
        }

        /// <summary>Argument i as int64 ('h' or 'i').</summary>
        public bool TryGetLong(int index, out long value)
        {
            value = 0;
            char tag = GetTag(index);
            if (tag == 'h') { value = BigEndian.ReadInt64(_buffer, _argOffsets[index]); return true; }
            if (tag == 'i') { value = BigEndian.ReadInt32(_buffer, _argOffsets[index]); return true; }
            return false;
        }

        /// <summary>Argument i as a float: 'f', and also 'd', 'i', 'h', 'T' (1) and 'F' (0) converted.</summary>
        public bool TryGetFloat(int index, out float value)
        {
            value = 0f;
            int at = index < _argCount && index >= 0 ? _argOffsets[index] : 0;
            switch (GetTag(index))
            {
                case 'f': value = BigEndian.ReadFloat(_buffer, at); return true;
                case 'd': value = (float)BigEndian.ReadDouble(_buffer, at); return true;
                case 'i': value = BigEndian.ReadInt32(_buffer, at); return true;
                case 'h': value = BigEndian.ReadInt64(_buffer, at); return true;
                case 'T': value = 1f; return true;
                case 'F': value = 0f; return true;
                default: return false;
            }
        }

        /// <summary>Argument i as a double ('d', or 'f' widened).</summary>
        public bool TryGetDouble(int index, out double value)
        {
            value = 0;
            char tag = GetTag(index);
            if (tag == 'd') { value = BigEndian.ReadDouble(_buffer, _argOffsets[index]); return true; }
            if (tag == 'f') { value = BigEndian.ReadFloat(_buffer, _argOffsets[index]); return true; }
            return false;
        }

        /// <summary>Argument i as a bool ('T'/'F', or a non-zero 'i').</summary>
        public bool TryGetBool(int index, out bool value)
        {
            value = false;
            switch (GetTag(index))
            {
                case 'T': value = true; return true;
                case 'F': return true;
                case 'i': value = BigEndian.ReadInt32(_buffer, _argOffsets[index]) != 0; return true;
                default: return false;
            }
        }

        /// <summary>True when argument i is nil ('N').</summary>
        public bool IsNil(int index) { return GetTag(index) == 'N'; }

        /// <summary>Location of string argument i ('s') in the buffer: UTF-8 bytes without the terminator.</summary>
        public bool TryGetStringBytes(int index, out int start, out int length)
        {
            start = 0; length = 0;
            if (GetTag(index) != 's') return false;
            start = _argOffsets[index];
            while (_buffer[start + length] != 0) length++; // the validator guaranteed a terminator
            return true;
        }

        /// <summary>True when string argument i equals these UTF-8 bytes (no allocation).</summary>
        public bool StringEquals(int index, byte[] utf8)
        {
            int start, length;
            if (utf8 == null || !TryGetStringBytes(index, out start, out length) || length != utf8.Length) return false;
            for (int i = 0; i < length; i++)
                if (_buffer[start + i] != utf8[i]) return false;
            return true;
        }

        /// <summary>String argument i as a new string (allocates; fine for rare messages such as name tables).</summary>
        public string GetString(int index)
        {
            int start, length;
            return TryGetStringBytes(index, out start, out length) ? Encoding.UTF8.GetString(_buffer, start, length) : null;
        }

        /// <summary>Location of blob argument i ('b') in the buffer.</summary>
        public bool TryGetBlob(int index, out int start, out int length)
        {
            start = 0; length = 0;
            if (GetTag(index) != 'b') return false;
            length = BigEndian.ReadInt32(_buffer, _argOffsets[index]);
            start = _argOffsets[index] + 4;
            return true;
        }

        /// <summary>The receive buffer this message points into (valid only during OnMessage).</summary>
        public byte[] Buffer { get { return _buffer; } }
    }

    /// <summary>Big-endian reads without a shared scratch buffer (safe with several receiver threads).</summary>
    public static class BigEndian
    {
        [StructLayout(LayoutKind.Explicit)]
        struct FloatBits
        {
            [FieldOffset(0)] public int Int;
            [FieldOffset(0)] public float Float;
            [FieldOffset(0)] public long Long;
            [FieldOffset(0)] public double Double;
        }

        public static int ReadInt32(byte[] b, int at)
        {
            return (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
        }

        public static uint ReadUInt32(byte[] b, int at) { return (uint)ReadInt32(b, at); }

        public static long ReadInt64(byte[] b, int at)
        {
            return ((long)ReadUInt32(b, at) << 32) | ReadUInt32(b, at + 4);
        }

        public static ulong ReadUInt64(byte[] b, int at) { return (ulong)ReadInt64(b, at); }

        public static float ReadFloat(byte[] b, int at)
        {
            var bits = new FloatBits { Int = ReadInt32(b, at) };
            return bits.Float;
        }

        public static double ReadDouble(byte[] b, int at)
        {
            var bits = new FloatBits { Long = ReadInt64(b, at) };
            return bits.Double;
        }

        public static void WriteInt32(byte[] b, int at, int value)
        {
            b[at] = (byte)(value >> 24); b[at + 1] = (byte)(value >> 16); b[at + 2] = (byte)(value >> 8); b[at + 3] = (byte)value;
        }

        public static void WriteFloat(byte[] b, int at, float value)
        {
            var bits = new FloatBits { Float = value };
            WriteInt32(b, at, bits.Int);
        }
    }
}
