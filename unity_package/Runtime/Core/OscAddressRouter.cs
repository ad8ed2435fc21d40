using System;
using System.Collections.Generic;
using System.Text;

namespace FaceBridge.Core
{
    /// <summary>
    /// Your own OSC addresses on the same socket as the face data: register an exact address and a callback; the
    /// receive thread keeps the newest message per address (never a queue, so nothing lags behind), and
    /// <see cref="Dispatch"/> calls the callbacks on your thread (Unity's main thread) with that message.
    /// Allocation-free in steady state (a message bigger than any before grows its slot once).
    /// </summary>
    public sealed class OscAddressRouter : IOscMessageHandler
    {
        sealed class Slot
        {
            public readonly string Address;
            public readonly byte[] AddressBytes;
            public readonly List<Action<OscMessage>> Callbacks = new List<Action<OscMessage>>();
            public byte[] Incoming = new byte[64];   // written by the receive thread under the lock
            public int IncomingLength;
            public ulong IncomingTimetag;
            public bool Dirty;
            public byte[] Taken = new byte[64];      // read by the dispatching thread only
            public long Received, Coalesced;

            public Slot(string address)
            {
                Address = address;
                AddressBytes = Encoding.UTF8.GetBytes(address);
            }
        }

        sealed class Invoker : IOscMessageHandler
        {
            public Slot Slot;
            public Action<Exception> OnError;

            public void OnMessage(OscMessage message)
            {
                var callbacks = Slot.Callbacks;
                for (int i = 0; i < callbacks.Count; i++)
                {
                    try { callbacks[i](message); }
                    catch (Exception e)
                    {
                        // One faulty callback must not stop the others; the caller decides how to report it.
                        if (OnError != null) OnError(e);
                    }
                }
            }
        }

        readonly object _lock = new object();
        volatile Slot[] _slots = new Slot[0]; // copy-on-write: the receive thread iterates a snapshot
        readonly OscParser _parser = new OscParser();
        readonly Invoker _invoker = new Invoker();

        /// <summary>Messages whose address nobody registered (counted, then dropped).</summary>
        public long Unhandled { get; private set; }

        /// <summary>Call <paramref name="callback"/> with the newest message to <paramref name="address"/> (exact match).</summary>
        public void AddListener(string address, Action<OscMessage> callback)
        {
            if (string.IsNullOrEmpty(address) || address[0] != '/')
                throw new ArgumentException("an OSC address starts with '/', e.g. /my/value", "address");
            if (callback == null) throw new ArgumentNullException("callback");
            lock (_lock)
            {
                var slot = Find(address);
                if (slot == null)
                {
                    slot = new Slot(address);
                    var grown = new Slot[_slots.Length + 1];
                    Array.Copy(_slots, grown, _slots.Length);
                    grown[_slots.Length] = slot;
                    _slots = grown;
                }
                slot.Callbacks.Add(callback);
            }
        }

        /// <summary>Stop calling <paramref name="callback"/> for <paramref name="address"/>; true when it was registered.</summary>
        public bool RemoveListener(string address, Action<OscMessage> callback)
        {
            lock (_lock)
            {
                var slot = Find(address);
                if (slot == null || !slot.Callbacks.Remove(callback)) return false;
                if (slot.Callbacks.Count == 0)
                {
                    var kept = new List<Slot>(_slots);
                    kept.Remove(slot);
                    _slots = kept.ToArray();
                }
                return true;
            }
        }

        /// <summary>Number of addresses with at least one listener.</summary>
        public int AddressCount { get { return _slots.Length; } }

        Slot Find(string address)
        {
            foreach (var s in _slots)
                if (string.Equals(s.Address, address, StringComparison.Ordinal)) return s;
            return null;
        }

        /// <summary>Receive side: keep a copy of the message when its address is registered (called by decoders).</summary>
        public void OnMessage(OscMessage message)
        {
            var slots = _slots;
            for (int i = 0; i < slots.Length; i++)
            {
                var slot = slots[i];
                if (!message.AddressEquals(slot.AddressBytes)) continue;
                int n = message.MessageLength;
                lock (_lock)
                {
                    if (slot.Incoming.Length < n) slot.Incoming = new byte[Math.Max(n, slot.Incoming.Length * 2)];
                    Buffer.BlockCopy(message.Buffer, message.MessageStart, slot.Incoming, 0, n);
                    slot.IncomingLength = n;
                    slot.IncomingTimetag = message.Timetag;
                    if (slot.Dirty) slot.Coalesced++;
                    slot.Dirty = true;
                    slot.Received++;
                }
                return;
            }
            Unhandled++;
        }

        /// <summary>
        /// Consumer side: call the callbacks of every address that received a message since the last call, once each,
        /// with its newest message. Exceptions from callbacks go to <paramref name="onError"/> (null: ignored).
        /// Returns the number of addresses dispatched.
        /// </summary>
        public int Dispatch(Action<Exception> onError)
        {
            var slots = _slots;
            int dispatched = 0;
            for (int i = 0; i < slots.Length; i++)
            {
                var slot = slots[i];
                int length;
                ulong timetag;
                lock (_lock)
                {
                    if (!slot.Dirty) continue;
                    if (slot.Taken.Length < slot.IncomingLength) slot.Taken = new byte[slot.Incoming.Length];
                    Buffer.BlockCopy(slot.Incoming, 0, slot.Taken, 0, slot.IncomingLength);
                    length = slot.IncomingLength;
                    timetag = slot.IncomingTimetag;
                    slot.Dirty = false;
                }
                _invoker.Slot = slot;
                _invoker.OnError = onError;
                _parser.Parse(slot.Taken, length, _invoker, timetag); // validated on arrival; callbacks run outside the lock
                dispatched++;
            }
            return dispatched;
        }

        /// <summary>Messages received for an address and how many of them were replaced by a newer one before dispatch.</summary>
        public bool TryGetCounts(string address, out long received, out long coalesced)
        {
            lock (_lock)
            {
                var slot = Find(address);
                received = slot != null ? slot.Received : 0;
                coalesced = slot != null ? slot.Coalesced : 0;
                return slot != null;
            }
        }
    }
}
