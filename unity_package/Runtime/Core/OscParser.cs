using System;

namespace FaceBridge.Core
{
    /// <summary>Receives each message of a parsed packet, in packet order.</summary>
    public interface IOscMessageHandler
    {
        /// <summary>Called once per message; <paramref name="message"/> is reused, do not keep it.</summary>
        void OnMessage(OscMessage message);
    }

    /// <summary>Why a packet was rejected (Ok when it was accepted).</summary>
    public enum OscParseStatus
    {
        Ok = 0,
        Empty,
        Misaligned,
        Truncated,
        BadAddress,
        BadTypeTags,
        UnknownTypeTag,
        BadBundle,
        TooDeep,
        TooManyArguments,
        TrailingBytes,
        InternalError,
    }

    /// <summary>
    /// OSC 1.0 packet parser: messages and nested bundles with timetags; argument tags
    /// i f s b T F N d h (and t c r m S I [ ] for completeness). A packet is validated completely before any
    /// message is handed out, so a malformed packet applies nothing. Never throws, never reads outside
    /// [0, length), allocates nothing after construction. Not thread-safe: use one parser per thread.
    /// </summary>
    public sealed class OscParser
    {
        /// <summary>Deepest bundle nesting accepted (deeper packets are rejected as TooDeep).</summary>
        public const int MaxBundleDepth = 8;

        /// <summary>NTP timetag meaning "immediately" (also used for bare messages).</summary>
        public const ulong TimetagImmediately = 1UL;

        readonly OscMessage _message = new OscMessage();

        /// <summary>
        /// Packets that hit an unexpected exception, in the parser or in a handler (a bug if ever non-zero; the fuzz
        /// test checks it). Receivers show it in their statistics with <see cref="LastInternalError"/>.
        /// </summary>
        public int InternalErrors { get; private set; }

        /// <summary>Type and message of the last exception counted in InternalErrors (null when none).</summary>
        public string LastInternalError { get; private set; }

        /// <summary>Validate one packet and, if it is well formed, call <paramref name="handler"/> for each message.</summary>
        public OscParseStatus Parse(byte[] buffer, int length, IOscMessageHandler handler)
        {
            return Parse(buffer, length, handler, TimetagImmediately);
        }

        /// <summary>As Parse, with the timetag bare (unbundled) messages report (e.g. a stored message's original one).</summary>
        public OscParseStatus Parse(byte[] buffer, int length, IOscMessageHandler handler, ulong bareTimetag)
        {
            if (buffer == null || length <= 0) return OscParseStatus.Empty;
            if (length > buffer.Length) return OscParseStatus.Truncated;
            if ((length & 3) != 0) return OscParseStatus.Misaligned;
            try
            {
                var status = Walk(buffer, 0, length, 0, bareTimetag, null);
                if (status != OscParseStatus.Ok || handler == null) return status;
                return Walk(buffer, 0, length, 0, bareTimetag, handler);
            }
            catch (Exception e)
            {
                // Belt and braces: the walk is bounds-checked, so this only fires on a bug or a throwing handler.
                InternalErrors++;
                LastInternalError = e.GetType().Name + ": " + e.Message; // allocates, but only on a bug
                return OscParseStatus.InternalError;
            }
        }

        static bool IsBundle(byte[] b, int start, int end)
        {
            return end - start >= 8 && b[start] == '#' && b[start + 1] == 'b' && b[start + 2] == 'u' && b[start + 3] == 'n'
                && b[start + 4] == 'd' && b[start + 5] == 'l' && b[start + 6] == 'e' && b[start + 7] == 0;
        }

        OscParseStatus Walk(byte[] b, int start, int end, int depth, ulong timetag, IOscMessageHandler handler)
        {
            if (!IsBundle(b, start, end)) return Message(b, start, end, timetag, handler);
            if (depth >= MaxBundleDepth) return OscParseStatus.TooDeep;
            if (end - start < 16) return OscParseStatus.Truncated;
            ulong tt = BigEndian.ReadUInt64(b, start + 8);
            int pos = start + 16;
            while (pos < end)
            {
                if (end - pos < 4) return OscParseStatus.Truncated;
                int size = BigEndian.ReadInt32(b, pos);
                pos += 4;
                if (size <= 0 || (size & 3) != 0 || size > end - pos) return OscParseStatus.BadBundle;
                var status = Walk(b, pos, pos + size, depth + 1, tt, handler);
                if (status != OscParseStatus.Ok) return status;
                pos += size;
            }
            return OscParseStatus.Ok;
        }

        /// <summary>Length of the NUL-terminated string at start, or -1 when no NUL occurs before end.</summary>
        static int StringLength(byte[] b, int start, int end)
        {
            for (int i = start; i < end; i++)
                if (b[i] == 0) return i - start;
            return -1;
        }

        static int Padded(int stringLength) { return (stringLength / 4 + 1) * 4; }

        OscParseStatus Message(byte[] b, int start, int end, ulong timetag, IOscMessageHandler handler)
        {
            if (b[start] != '/') return OscParseStatus.BadAddress;
            int addressLength = StringLength(b, start, end);
            if (addressLength < 0) return OscParseStatus.Truncated;
            int pos = start + Padded(addressLength);
            if (pos > end) return OscParseStatus.Truncated;
            int tagStart = pos + 1, tagCount = 0;
            if (pos < end) // a message without a type tag string is legal OSC 1.0 (no arguments)
            {
                if (b[pos] != ',') return OscParseStatus.BadTypeTags;
                int tagLength = StringLength(b, pos, end);
                if (tagLength < 0) return OscParseStatus.Truncated;
                tagCount = tagLength - 1;
                if (tagCount > OscMessage.MaxArguments) return OscParseStatus.TooManyArguments;
                pos += Padded(tagLength);
                if (pos > end) return OscParseStatus.Truncated;
            }
            int[] offsets = _message.ArgumentOffsets;
            for (int i = 0; i < tagCount; i++)
            {
                offsets[i] = pos;
                int size;
                switch ((char)b[tagStart + i])
                {
                    case 'i': case 'f': case 'c': case 'r': case 'm': size = 4; break;
                    case 'd': case 'h': case 't': size = 8; break;
                    case 'T': case 'F': case 'N': case 'I': case '[': case ']': size = 0; break;
                    case 's': case 'S':
                    {
                        int n = StringLength(b, pos, end);
                        if (n < 0) return OscParseStatus.Truncated;
                        size = Padded(n);
                        break;
                    }
                    case 'b':
                    {
                        if (end - pos < 4) return OscParseStatus.Truncated;
                        int n = BigEndian.ReadInt32(b, pos);
                        if (n < 0 || n > end - pos - 4) return OscParseStatus.Truncated;
                        size = 4 + ((n + 3) & ~3);
                        break;
                    }
                    default: return OscParseStatus.UnknownTypeTag; // its size is unknown, so nothing after it can be read
                }
                if (size > end - pos) return OscParseStatus.Truncated;
                pos += size;
            }
            if (pos != end) return OscParseStatus.TrailingBytes;
            if (handler != null)
            {
                _message.Set(b, start, addressLength, tagStart, tagCount, timetag, end);
                handler.OnMessage(_message);
            }
            return OscParseStatus.Ok;
        }
    }
}
