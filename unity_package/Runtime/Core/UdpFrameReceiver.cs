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
        /// <summary>Frames that were replaced before any consumer took them (newest wins).</summary>
        public long FramesSuperseded;
        public bool Listening;
        /// <summary>Why the socket could not be opened (null when fine).</summary>
        public string Error;
        /// <summary>
        /// Exceptions inside the package: the decoder's plus the receive loop's. A non-zero value is a bug in this
        /// package (please report <see cref="LastInternalError"/>); the receive thread keeps running regardless.
        /// </summary>
        public long InternalErrors;
        /// <summary>Type and message of the latest internal error (null when none).</summary>
        public string LastInternalError;

        /// <summary>Seconds since the last datagram (infinity when none arrived yet).</summary>
        public double SecondsSinceLastPacket
        {
            get { return LastPacketUtcTicks == 0 ? double.PositiveInfinity : (DateTime.UtcNow.Ticks - LastPacketUtcTicks) / 1e7; }
        }
    }

    /// <summary>
    /// UDP receive loop on a background thread: decodes every datagram into a reused buffer and keeps only the
    /// newest complete frame for its consumers (never a growing queue). Consumers call TryTakeLatest from their own
    /// thread (Unity's main thread) and get the frame in their own FaceFrame; several consumers may share one
    /// receiver, each with its own version counter. Decoding is serialized: Inject and the socket never decode at
    /// the same time. Other OSC addresses go to <see cref="Addresses"/>. No UnityEngine here.
    /// </summary>
    public sealed class UdpFrameReceiver : IDisposable
    {
        readonly object _lock = new object();       // guards _shared, _stats, versions
        readonly object _decodeLock = new object(); // one decode at a time (socket thread or Inject)
        readonly IFrameDecoder _decoder;
        readonly OscAddressRouter _addresses = new OscAddressRouter();
        readonly FaceFrame _shared = new FaceFrame();
        readonly byte[] _buffer = new byte[65536]; // the largest UDP payload: nothing is ever cut short
        readonly string _bindAddress;
        readonly int _port;
        Socket _socket;
        Thread _thread;
        volatile bool _running;
        int _version;        // increments with each published frame
        int _takenVersion;   // the version the single-consumer TryTakeLatest(into) saw last
        bool _takenSinceLast = true;
        ReceiverStatistics _stats;

        public UdpFrameReceiver(ReceiverProtocol protocol, string bindAddress, int port)
        {
            _decoder = protocol == ReceiverProtocol.Vmc ? (IFrameDecoder)new VmcBlendshapeDecoder() : new FacebridgeDecoder();
            _decoder.Fallback = _addresses;
            Protocol = protocol;
            _bindAddress = string.IsNullOrEmpty(bindAddress) ? "0.0.0.0" : bindAddress;
            _port = port;
        }

        public ReceiverProtocol Protocol { get; private set; }
        public string BindAddress { get { return _bindAddress; } }
        public int Port { get { return _port; } }

        /// <summary>The port actually bound (useful with port 0).</summary>
        public int BoundPort { get; private set; }

        /// <summary>True while the socket is open and the receive thread runs.</summary>
        public bool IsRunning { get { return _running; } }

        /// <summary>Your own OSC addresses arriving on this socket (see <see cref="OscAddressRouter"/>).</summary>
        public OscAddressRouter Addresses { get { return _addresses; } }

        /// <summary>Version of the newest published frame (0 before the first).</summary>
        public int Version { get { lock (_lock) return _version; } }

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

        /// <summary>Copy the newest frame into <paramref name="into"/> if one arrived since the last call (one consumer).</summary>
        public bool TryTakeLatest(FaceFrame into)
        {
            return TryTakeLatest(into, ref _takenVersion);
        }

        /// <summary>
        /// Copy the newest frame into <paramref name="into"/> if it is newer than <paramref name="lastVersion"/>, which is
        /// updated: each consumer of a shared receiver keeps its own counter.
        /// </summary>
        public bool TryTakeLatest(FaceFrame into, ref int lastVersion)
        {
            lock (_lock)
            {
                if (_version == lastVersion) return false;
                into.CopyFrom(_shared);
                lastVersion = _version;
                _takenSinceLast = true;
                _stats.FramesTaken++;
                return true;
            }
        }

        /// <summary>
        /// Decode one datagram as if it had arrived on the socket (tests, replay tools). Works before Start and while
        /// listening: decoding is serialized with the receive thread.
        /// </summary>
        public void Inject(byte[] datagram, int length)
        {
            HandleDatagram(datagram, length);
        }

        void HandleDatagram(byte[] data, int length)
        {
            lock (_decodeLock)
            {
                bool completed;
                try
                {
                    completed = _decoder.Decode(data, length);
                }
                catch (Exception e)
                {
                    RecordInternalError(e); // a decoder bug must never stop the receiver
                    completed = false;
                }
                lock (_lock)
                {
                    if (completed)
                    {
                        if (!_takenSinceLast) _stats.FramesSuperseded++;
                        _shared.CopyFrom(_decoder.Frame);
                        _version = _version == int.MaxValue ? 1 : _version + 1;
                        _takenSinceLast = false;
                    }
                    long own = _stats.InternalErrors - _stats.Decoder.InternalErrors;
                    _stats.Decoder = _decoder.Statistics;
                    _stats.InternalErrors = own + _stats.Decoder.InternalErrors;
                    if (_stats.Decoder.LastInternalError != null && _stats.LastInternalError == null)
                        _stats.LastInternalError = _stats.Decoder.LastInternalError;
                    _stats.LastPacketUtcTicks = DateTime.UtcNow.Ticks;
                }
            }
        }

        void RecordInternalError(Exception e)
        {
            lock (_lock)
            {
                _stats.InternalErrors++;
                _stats.LastInternalError = e.GetType().Name + ": " + e.Message;
            }
        }

        /// <summary>
        /// Optional: called on the receive thread with every datagram before it is decoded (e.g. to record the raw
        /// stream). The buffer is reused: copy what you keep. An exception here is counted in InternalErrors and the
        /// datagram is still decoded.
        /// </summary>
        public Action<byte[], int> DatagramObserver;

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
                    var observer = DatagramObserver;
                    if (observer != null)
                    {
                        try { observer(_buffer, n); }
                        catch (Exception e) { RecordInternalError(e); }
                    }
                    HandleDatagram(_buffer, n);
                }
                catch (ObjectDisposedException)
                {
                    if (!_running) return; // Stop closed the socket
                    RecordInternalError(new InvalidOperationException("the socket was closed while listening"));
                    lock (_lock) { _stats.Listening = false; _stats.Error = "the receive socket was closed; restart the receiver"; }
                    _running = false;
                    return;
                }
                catch (SocketException)
                {
                    Thread.Sleep(10); // transient; keep listening
                }
                catch (Exception e)
                {
                    // Anything else is a bug: count it and keep the thread alive (Listening stays truthful).
                    RecordInternalError(e);
                    Thread.Sleep(1);
                }
            }
        }
    }
}
