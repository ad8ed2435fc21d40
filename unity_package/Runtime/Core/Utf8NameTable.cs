using System;
using System.Text;

namespace FaceBridge.Core
{
    /// <summary>
    /// Interns UTF-8 names straight from a receive buffer: a name seen before is found by hash and byte
    /// comparison without creating a string; a new name allocates once. Bounded so hostile senders cannot
    /// grow it without limit.
    /// </summary>
    public sealed class Utf8NameTable
    {
        readonly int _capacity;
        readonly int[] _buckets;
        readonly int[] _next;
        readonly int[] _hashes;
        readonly byte[][] _bytes;
        readonly string[] _names;

        public Utf8NameTable(int capacity)
        {
            if (capacity <= 0) throw new ArgumentOutOfRangeException("capacity");
            _capacity = capacity;
            int buckets = 1;
            while (buckets < capacity * 2) buckets <<= 1;
            _buckets = new int[buckets];
            for (int i = 0; i < buckets; i++) _buckets[i] = -1;
            _next = new int[capacity];
            _hashes = new int[capacity];
            _bytes = new byte[capacity][];
            _names = new string[capacity];
        }

        /// <summary>Number of names interned so far.</summary>
        public int Count { get; private set; }

        /// <summary>The name at an index returned by Find/Intern.</summary>
        public string this[int index] { get { return _names[index]; } }

        static int Hash(byte[] b, int start, int length)
        {
            unchecked
            {
                int h = (int)2166136261; // FNV-1a
                for (int i = 0; i < length; i++) h = (h ^ b[start + i]) * 16777619;
                return h;
            }
        }

        /// <summary>Index of the name in b[start..start+length), or -1 when unknown. Allocation-free.</summary>
        public int Find(byte[] b, int start, int length)
        {
            int h = Hash(b, start, length);
            for (int i = _buckets[h & (_buckets.Length - 1)]; i >= 0; i = _next[i])
            {
                if (_hashes[i] != h || _bytes[i].Length != length) continue;
                byte[] known = _bytes[i];
                int k = 0;
                while (k < length && known[k] == b[start + k]) k++;
                if (k == length) return i;
            }
            return -1;
        }

        /// <summary>Index of the name, adding it when new; -1 when the table is full.</summary>
        public int Intern(byte[] b, int start, int length)
        {
            int found = Find(b, start, length);
            if (found >= 0 || Count >= _capacity) return found;
            int index = Count++;
            int h = Hash(b, start, length);
            var copy = new byte[length];
            Buffer.BlockCopy(b, start, copy, 0, length);
            _bytes[index] = copy;
            _hashes[index] = h;
            _names[index] = Encoding.UTF8.GetString(copy);
            int bucket = h & (_buckets.Length - 1);
            _next[index] = _buckets[bucket];
            _buckets[bucket] = index;
            return index;
        }

        /// <summary>Copy the interned names into a new array (used when the set of names changed).</summary>
        public string[] ToArray()
        {
            var names = new string[Count];
            Array.Copy(_names, names, Count);
            return names;
        }
    }
}
