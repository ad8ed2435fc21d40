using System;
using System.Collections.Generic;

namespace FaceBridge.Core
{
    /// <summary>
    /// One socket per (protocol, bind address, port), shared by every consumer that asks for the same settings, so
    /// several avatars can follow one bridge stream without "port in use" errors. Reference-counted: the socket
    /// closes when its last consumer releases it. Port 0 (any free port) is never shared. Thread-safe.
    /// </summary>
    public sealed class ReceiverPool
    {
        sealed class Entry
        {
            public UdpFrameReceiver Receiver;
            public int Users;
        }

        /// <summary>The pool the Unity components use (one per process: sockets are a process-wide resource).</summary>
        public static readonly ReceiverPool Shared = new ReceiverPool();

        readonly object _lock = new object();
        readonly Dictionary<string, Entry> _byKey = new Dictionary<string, Entry>(StringComparer.Ordinal);
        readonly Dictionary<UdpFrameReceiver, string> _keys = new Dictionary<UdpFrameReceiver, string>();

        static string Key(ReceiverProtocol protocol, string bindAddress, int port)
        {
            return (string.IsNullOrEmpty(bindAddress) ? "0.0.0.0" : bindAddress) + ":" + port;
        }

        /// <summary>Receivers open right now (for the monitor window).</summary>
        public int OpenCount { get { lock (_lock) return _keys.Count; } }

        /// <summary>A started receiver for these settings (shared when one is already open), or null with a reason.</summary>
        public UdpFrameReceiver Acquire(ReceiverProtocol protocol, string bindAddress, int port, out string error)
        {
            error = null;
            lock (_lock)
            {
                string key = Key(protocol, bindAddress, port);
                Entry entry;
                if (port != 0 && _byKey.TryGetValue(key, out entry))
                {
                    if (entry.Receiver.Protocol != protocol)
                    {
                        error = "port " + port + " is already open for the " + entry.Receiver.Protocol + " protocol by another receiver; "
                            + "receivers share a port only with the same protocol and bind address";
                        return null;
                    }
                    entry.Users++;
                    return entry.Receiver;
                }
                var receiver = new UdpFrameReceiver(protocol, bindAddress, port);
                if (!receiver.Start())
                {
                    error = receiver.Statistics.Error;
                    return null;
                }
                if (port != 0) _byKey[key] = new Entry { Receiver = receiver, Users = 1 };
                _keys[receiver] = port != 0 ? key : null;
                return receiver;
            }
        }

        /// <summary>Give a receiver back; the last user's release closes it. Unknown receivers are ignored.</summary>
        public void Release(UdpFrameReceiver receiver)
        {
            if (receiver == null) return;
            lock (_lock)
            {
                string key;
                if (!_keys.TryGetValue(receiver, out key)) return;
                Entry entry;
                if (key != null && _byKey.TryGetValue(key, out entry))
                {
                    if (--entry.Users > 0) return;
                    _byKey.Remove(key);
                }
                _keys.Remove(receiver);
            }
            receiver.Dispose();
        }

        /// <summary>How many consumers hold this receiver (0 when it is not from this pool).</summary>
        public int UsersOf(UdpFrameReceiver receiver)
        {
            lock (_lock)
            {
                string key;
                if (receiver == null || !_keys.TryGetValue(receiver, out key)) return 0;
                Entry entry;
                return key != null && _byKey.TryGetValue(key, out entry) ? entry.Users : 1;
            }
        }
    }
}
