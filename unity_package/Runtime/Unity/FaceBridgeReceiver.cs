using System;
using FaceBridge.Core;
using UnityEngine;

namespace FaceBridge
{
    /// <summary>
    /// Listens for the bridge on UDP (a background thread decodes; the newest frame wins) and hands the latest
    /// frame to drivers on the main thread, once per rendered frame. Add one per avatar (or share one).
    /// </summary>
    [AddComponentMenu("FaceBridge/FaceBridge Receiver")]
    [DisallowMultipleComponent]
    [DefaultExecutionOrder(-100)] // receive before the drivers' LateUpdate
    public sealed class FaceBridgeReceiver : MonoBehaviour
    {
        [Tooltip("FaceBridge: the bridge's own protocol (full data). VMC: blendshapes from any VMC performer.")]
        [SerializeField] ReceiverProtocol _protocol = ReceiverProtocol.FaceBridge;

        [Tooltip("UDP port to listen on. The bridge sends to 39571 by default (VMC: 39539).")]
        [SerializeField] int _port = FacebridgeDecoder.DefaultPort;

        [Tooltip("Local address to bind: 0.0.0.0 = every interface, 127.0.0.1 = this machine only.")]
        [SerializeField] string _bindAddress = "0.0.0.0";

        [Tooltip("Seconds without packets after which the receiver counts as disconnected.")]
        [SerializeField] float _connectionTimeout = 1f;

        UdpFrameReceiver _receiver;
        readonly FaceFrame _frame = new FaceFrame();
        ReceiverStatistics _statistics;

        /// <summary>Raised on the main thread whenever a new frame was taken (at most once per Update).</summary>
        public event Action<FaceFrame> FrameReceived;

        /// <summary>The latest frame (main thread only; reused, copy what you keep).</summary>
        public FaceFrame Frame { get { return _frame; } }

        /// <summary>True once at least one frame arrived.</summary>
        public bool HasFrame { get; private set; }

        /// <summary>Increments with each new frame: drivers compare it to skip unchanged frames.</summary>
        public int FrameVersion { get; private set; }

        /// <summary>Counters from the last Update (packets, frames, lost, malformed, ...).</summary>
        public ReceiverStatistics Statistics { get { return _statistics; } }

        /// <summary>True while packets arrive (within the connection timeout).</summary>
        public bool IsConnected
        {
            get { return _statistics.Listening && _statistics.SecondsSinceLastPacket <= _connectionTimeout; }
        }

        /// <summary>True while the socket is open.</summary>
        public bool IsListening { get { return _receiver != null && _statistics.Listening; } }

        public ReceiverProtocol Protocol
        {
            get { return _protocol; }
            set { if (_protocol != value) { _protocol = value; RestartIfRunning(); } }
        }

        public int Port
        {
            get { return _port; }
            set { if (_port != value) { _port = value; RestartIfRunning(); } }
        }

        public string BindAddress
        {
            get { return _bindAddress; }
            set { if (_bindAddress != value) { _bindAddress = value; RestartIfRunning(); } }
        }

        /// <summary>The port actually bound (differs from Port only when Port is 0).</summary>
        public int BoundPort { get { return _receiver != null ? _receiver.BoundPort : 0; } }

        /// <summary>A one-line human-readable state for inspectors and logs.</summary>
        public string StatusText
        {
            get
            {
                if (_receiver == null)
                    return _statistics.Error ?? "stopped";
                if (!IsConnected)
                    return "listening on " + _bindAddress + ":" + BoundPort + ", no packets yet (check the bridge's --output and firewall)";
                return "connected: " + _statistics.Decoder.Frames + " frames, " + _statistics.Decoder.Lost + " lost, "
                    + _statistics.Decoder.Malformed + " malformed";
            }
        }

        void OnEnable() { StartReceiving(); }

        void OnDisable() { StopReceiving(); }

        void Update() { Poll(); }

        /// <summary>Open the socket (called by OnEnable; safe to call again). Logs a clear error on failure.</summary>
        public bool StartReceiving()
        {
            if (_receiver != null) return true;
            var receiver = new UdpFrameReceiver(_protocol, _bindAddress, _port);
            if (!receiver.Start())
            {
                _statistics = receiver.Statistics;
                Debug.LogError("FaceBridgeReceiver: " + _statistics.Error
                    + ". Is another app (or a second receiver) using this port? Change the port here and in the bridge.", this);
                return false;
            }
            _receiver = receiver;
            _statistics = receiver.Statistics;
            return true;
        }

        /// <summary>Close the socket (called by OnDisable).</summary>
        public void StopReceiving()
        {
            if (_receiver == null) return;
            _receiver.Dispose();
            _receiver = null;
            _statistics.Listening = false;
        }

        void RestartIfRunning()
        {
            if (_receiver == null) return;
            StopReceiving();
            StartReceiving();
        }

        /// <summary>Take the newest frame if one arrived (Update calls this; tests call it directly).</summary>
        public bool Poll()
        {
            if (_receiver == null) return false;
            _statistics = _receiver.Statistics;
            if (!_receiver.TryTakeLatest(_frame)) return false;
            HasFrame = true;
            FrameVersion++;
            var handler = FrameReceived;
            if (handler != null) handler(_frame);
            return true;
        }

        /// <summary>Decode a datagram as if it arrived on the socket (tests, recorded-packet playback).</summary>
        public void Inject(byte[] datagram, int length)
        {
            if (_receiver == null) _receiver = new UdpFrameReceiver(_protocol, _bindAddress, _port);
            _receiver.Inject(datagram, length);
        }
    }
}
