using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace FaceBridge.Tests
{
    /// <summary>
    /// A small strict JSON reader for the test vectors' expected-content files (objects -> Dictionary,
    /// arrays -> List, numbers -> JsonNumber keeping the exact text, strings, bools, null).
    /// </summary>
    public static class MiniJson
    {
        public sealed class JsonNumber
        {
            public readonly string Text;
            public JsonNumber(string text) { Text = text; }
            public double Double { get { return double.Parse(Text, CultureInfo.InvariantCulture); } }
            public long Long { get { return long.Parse(Text, CultureInfo.InvariantCulture); } }
            public ulong ULong { get { return ulong.Parse(Text, CultureInfo.InvariantCulture); } }
            public override string ToString() { return Text; }
        }

        public static object Parse(string text)
        {
            int pos = 0;
            object value = ParseValue(text, ref pos);
            SkipWhite(text, ref pos);
            if (pos != text.Length) throw new FormatException("trailing characters at " + pos);
            return value;
        }

        static void SkipWhite(string s, ref int pos)
        {
            while (pos < s.Length && char.IsWhiteSpace(s[pos])) pos++;
        }

        static object ParseValue(string s, ref int pos)
        {
            SkipWhite(s, ref pos);
            if (pos >= s.Length) throw new FormatException("unexpected end");
            char c = s[pos];
            if (c == '{')
            {
                var obj = new Dictionary<string, object>();
                pos++;
                SkipWhite(s, ref pos);
                if (s[pos] == '}') { pos++; return obj; }
                while (true)
                {
                    SkipWhite(s, ref pos);
                    string key = ParseString(s, ref pos);
                    SkipWhite(s, ref pos);
                    Expect(s, ref pos, ':');
                    obj[key] = ParseValue(s, ref pos);
                    SkipWhite(s, ref pos);
                    if (s[pos] == ',') { pos++; continue; }
                    Expect(s, ref pos, '}');
                    return obj;
                }
            }
            if (c == '[')
            {
                var list = new List<object>();
                pos++;
                SkipWhite(s, ref pos);
                if (s[pos] == ']') { pos++; return list; }
                while (true)
                {
                    list.Add(ParseValue(s, ref pos));
                    SkipWhite(s, ref pos);
                    if (s[pos] == ',') { pos++; continue; }
                    Expect(s, ref pos, ']');
                    return list;
                }
            }
            if (c == '"') return ParseString(s, ref pos);
            if (s.Substring(pos).StartsWith("true")) { pos += 4; return true; }
            if (s.Substring(pos).StartsWith("false")) { pos += 5; return false; }
            if (s.Substring(pos).StartsWith("null")) { pos += 4; return null; }
            int start = pos;
            while (pos < s.Length && "+-0123456789.eE".IndexOf(s[pos]) >= 0) pos++;
            if (pos == start) throw new FormatException("unexpected character '" + c + "' at " + pos);
            return new JsonNumber(s.Substring(start, pos - start));
        }

        static void Expect(string s, ref int pos, char c)
        {
            if (pos >= s.Length || s[pos] != c) throw new FormatException("expected '" + c + "' at " + pos);
            pos++;
        }

        static string ParseString(string s, ref int pos)
        {
            Expect(s, ref pos, '"');
            var sb = new StringBuilder();
            while (true)
            {
                char c = s[pos++];
                if (c == '"') return sb.ToString();
                if (c != '\\') { sb.Append(c); continue; }
                char e = s[pos++];
                switch (e)
                {
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    case 'r': sb.Append('\r'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'u': sb.Append((char)int.Parse(s.Substring(pos, 4), NumberStyles.HexNumber)); pos += 4; break;
                    default: sb.Append(e); break;
                }
            }
        }
    }
}
