using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace FaceBridge.Core
{
    /// <summary>Which wire format a receiver decodes.</summary>
    public enum ReceiverProtocol
    {
        /// <summary>The bridge's own protocol (docs/protocol.md), default port 39571.</summary>
        FaceBridge = 0,
        /// <summary>VMC protocol blendshapes (/VMC/Ext/Blend/Val + Apply), default port 39539.</summary>
        Vmc = 1,
    }

    /// <summary>Receiver counters plus connection state, copied out under a lock.</summary>
    public struct ReceiverStatistics
    {
        public DecoderStatistics Decoder;
        /// <summary>UtcNow ticks of the last datagram (0 = never).</summary>
        public long LastPacketUtcTicks;
        /// <summary>Frames handed to the consumer (newer frames replace older ones not yet taken).</summary>
        public long FramesTaken;
        /// <summary>Frames that were replaced before the consumer took them (newest wins).</summary>
        public long FramesSuperseded;
        public bool Listening;
        /// <summary>Why the socket could not be opened (null when fine).</summary>
        public string Error;

        /// <summary>Seconds since the last datagram (infinity when none arrived yet).</summary>
        public double SecondsSinceLastPacket
        {
            get { return LastPacketUtcTicks == 0 ? double.PositiveInfinity : (DateTime.UtcNow.Ticks - LastPacketUtcTicks) / 1e7; }
        }
    }

    /// <summary>
    /// UDP receive loop on a background thread: decodes every datagram into a reused buffer and keeps only the
    /// newest complete frame for the consumer (never a growing queue). The consumer calls TryTakeLatest from
    /// its own thread (Unity's main thread) and gets the frame in its own FaceFrame. No UnityEngine here.
    /// </summary>
    public sealed class UdpFrameReceiver : IDisposable
    {
        readonly object _lock = new object();
        readonly IFrameDecoder _decoder;
        readonly FaceFrame _shared = new FaceFrame();
        readonly byte[] _buffer = new byte[65536]; // the largest UDP payload: nothing is ever cut short
        readonly string _bindAddress;
        readonly int _port;
        Socket _socket;
        Thread _thread;
        volatile bool _running;
        bool _hasNew;
        ReceiverStatistics _stats;

        public UdpFrameReceiver(ReceiverProtocol protocol, string bindAddress, int port)
        {
            _decoder = protocol == ReceiverProtocol.Vmc ? (IFrameDecoder)new VmcBlendshapeDecoder() : new FacebridgeDecoder();
            _bindAddress = string.IsNullOrEmpty(bindAddress) ? "0.0.0.0" : bindAddress;
            _port = port;
        }

        /// <summary>The port actually bound (useful with port 0).</summary>
        public int BoundPort { get; private set; }

        /// <summary>Open the socket and start the thread. Returns false (and sets Statistics.Error) on failure.</summary>
        public bool Start()
        {
            if (_running) return true;
            try
            {
                IPAddress address;
                if (!IPAddress.TryParse(_bindAddress, out address))
                    throw new ArgumentException("bind address '" + _bindAddress + "' is not an IP address (use 0.0.0.0 or 127.0.0.1)");
                _socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                _socket.ReceiveBufferSize = 1 << 20;
                // Mono turns SO_REUSEADDR on for UDP, which would let two receivers share a port silently
                // (each getting some of the packets). A port in use must be an error the user sees.
                _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, false);
                _socket.Bind(new IPEndPoint(address, _port));
                BoundPort = ((IPEndPoint)_socket.LocalEndPoint).Port;
            }
            catch (Exception e)
            {
                if (_socket != null) _socket.Close();
                _socket = null;
                lock (_lock) _stats.Error = "cannot listen on " + _bindAddress + ":" + _port + ": " + e.Message;
                return false;
            }
            _running = true;
            lock (_lock) { _stats.Listening = true; _stats.Error = null; }
            _thread = new Thread(Run) { IsBackground = true, Name = "FaceBridge UDP " + BoundPort };
            _thread.Start();
            return true;
        }

        /// <summary>Stop the thread and close the socket (safe to call twice).</summary>
        public void Stop()
        {
            _running = false;
            var thread = _thread;
            _thread = null;
            if (thread != null) thread.Join(1000);
            if (_socket != null) _socket.Close();
            _socket = null;
            lock (_lock) _stats.Listening = false;
        }

        public void Dispose() { Stop(); }

        /// <summary>A consistent copy of the counters.</summary>
        public ReceiverStatistics Statistics
        {
            get { lock (_lock) return _stats; }
        }

        /// <summary>Copy the newest frame into <paramref name="into"/> if one arrived since the last call.</summary>
        public bool TryTakeLatest(FaceFrame into)
        {
            lock (_lock)
            {
                if (!_hasNew) return false;
                into.CopyFrom(_shared);
                _hasNew = false;
                _stats.FramesTaken++;
                return true;
            }
        }

        /// <summary>Decode one datagram as if it had arrived on the socket (tests and replay tools).</summary>
        public void Inject(byte[] datagram, int length)
        {
            HandleDatagram(datagram, length);
        }

        void HandleDatagram(byte[] data, int length)
        {
            bool completed = _decoder.Decode(data, length);
            lock (_lock)
            {
                if (completed)
                {
                    if (_hasNew) _stats.FramesSuperseded++;
                    _shared.CopyFrom(_decoder.Frame);
                    _hasNew = true;
                }
                _stats.Decoder = _decoder.Statistics;
                _stats.LastPacketUtcTicks = DateTime.UtcNow.Ticks;
            }
        }

        void Run()
        {
            var socket = _socket;
            while (_running)
            {
                try
                {
                    if (!socket.Poll(100000, SelectMode.SelectRead)) continue; // wake every 100 ms to notice Stop
                    SocketError error;
                    int n = socket.Receive(_buffer, 0, _buffer.Length, SocketFlags.None, out error);
                    if (error != SocketError.Success || n <= 0) continue; // e.g. ICMP port unreachable echoes on Windows
                    HandleDatagram(_buffer, n);
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                catch (SocketException)
                {
                    Thread.Sleep(10); // transient; keep listening
                }
            }
        }
    }
}
