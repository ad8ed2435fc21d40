using System;
using System.Collections.Generic;
using FaceBridge.Core;
using UnityEngine;

namespace FaceBridge
{
    /// <summary>
    /// Listens for the bridge on UDP (a background thread decodes; the newest frame wins) and hands the latest
    /// frame to drivers on the main thread, once per rendered frame. Receivers with the same protocol, bind address
    /// and port share one socket, so several avatars can each have one (or all drivers can point at one).
    /// Changing Protocol, Port or Bind Address (Inspector or code) reopens the socket, also in Play mode.
    /// </summary>
    [AddComponentMenu("FaceBridge/FaceBridge Receiver")]
    [DisallowMultipleComponent]
    [DefaultExecutionOrder(-100)] // receive before the drivers' LateUpdate
    public sealed class FaceBridgeReceiver : MonoBehaviour
    {
        [Tooltip("Optional connection asset: when set, its protocol, port, bind address and timeout are used instead of the fields below.")]
        [SerializeField] FaceBridgeConnection _connection;

        [Tooltip("FaceBridge: the bridge's own protocol (full data). VMC: blendshapes from any VMC performer.")]
        [SerializeField] ReceiverProtocol _protocol = ReceiverProtocol.FaceBridge;

        [Tooltip("UDP port to listen on. The bridge sends to 39571 by default (VMC: 39539).")]
        [SerializeField] int _port = FacebridgeDecoder.DefaultPort;

        [Tooltip("Local address to bind: 0.0.0.0 = every interface, 127.0.0.1 = this machine only.")]
        [SerializeField] string _bindAddress = "0.0.0.0";

        [Tooltip("Seconds without packets after which the receiver counts as disconnected (drivers then ease to neutral).")]
        [SerializeField] float _connectionTimeout = 1f;

        UdpFrameReceiver _receiver;
        bool _pooled;
        int _takenVersion;
        // The settings the socket was opened with / that failed to open (not retried until they change). Compared field
        // by field every Update, so following a connection asset costs no allocation.
        struct Settings
        {
            public bool Set;
            public ReceiverProtocol Protocol;
            public string Bind;
            public int Port;

            public bool Matches(FaceBridgeReceiver r)
            {
                return Set && Protocol == r.Protocol && Port == r.Port && string.Equals(Bind, r.BindAddress, StringComparison.Ordinal);
            }
        }

        Settings _open, _failed;
        readonly FaceFrame _frame = new FaceFrame();
        ReceiverStatistics _statistics;
        readonly List<KeyValuePair<string, Action<OscMessage>>> _listeners = new List<KeyValuePair<string, Action<OscMessage>>>();
        Action<Exception> _logException;

        /// <summary>Raised on the main thread whenever a new frame was taken (at most once per Update).</summary>
        public event Action<FaceFrame> FrameReceived;

        /// <summary>The latest frame (main thread only; reused, copy what you keep).</summary>
        public FaceFrame Frame { get { return _frame; } }

        /// <summary>True once at least one frame arrived.</summary>
        public bool HasFrame { get; private set; }

        /// <summary>The receiver a component uses when none is assigned: the one on its own GameObject, else any
        /// in the scene (null if none). One place for the find call, which Unity renamed in 2023.1.</summary>
        public static FaceBridgeReceiver FindFor(Component owner)
        {
            var own = owner.GetComponent<FaceBridgeReceiver>();
            if (own != null) return own;
#if UNITY_2023_1_OR_NEWER
            return FindAnyObjectByType<FaceBridgeReceiver>();
#else
            return FindObjectOfType<FaceBridgeReceiver>();
#endif
        }

        /// <summary>Increments with each new frame: drivers compare it to skip unchanged frames.</summary>
        public int FrameVersion { get; private set; }

        /// <summary>Frames taken in the last whole second (for monitors).</summary>
        public float FramesPerSecond { get; private set; }

        /// <summary>
        /// Seconds from the newest frame's capture time (the bundle timetag) to when Unity took it; NaN when the
        /// sender gave no timetag. Meaningful when both clocks agree (same machine, or NTP-synchronised machines).
        /// </summary>
        public double LatencySeconds { get; private set; }

        /// <summary>Counters from the last Update (packets, frames, lost, malformed, internal errors ...).</summary>
        public ReceiverStatistics Statistics { get { return _statistics; } }

        /// <summary>True while packets arrive (within the connection timeout).</summary>
        public bool IsConnected
        {
            get { return IsListening && _statistics.SecondsSinceLastPacket <= ConnectionTimeout; }
        }

        /// <summary>True while the socket is open.</summary>
        public bool IsListening { get { return _receiver != null && _receiver.IsRunning; } }

        /// <summary>The connection asset in use (null: this component's own fields).</summary>
        public FaceBridgeConnection Connection
        {
            get { return _connection; }
            set { _connection = value; ApplySettingsChange(); }
        }

        public ReceiverProtocol Protocol
        {
            get { return _connection != null ? _connection.Protocol : _protocol; }
            set { _protocol = value; ApplySettingsChange(); }
        }

        public int Port
        {
            get { return _connection != null ? _connection.Port : _port; }
            set { _port = value; ApplySettingsChange(); }
        }

        public string BindAddress
        {
            get { return _connection != null ? _connection.BindAddress : _bindAddress; }
            set { _bindAddress = value; ApplySettingsChange(); }
        }

        public float ConnectionTimeout
        {
            get { return _connection != null ? _connection.ConnectionTimeout : _connectionTimeout; }
            set { _connectionTimeout = value; }
        }

        /// <summary>The port actually bound (differs from Port only when Port is 0).</summary>
        public int BoundPort { get { return _receiver != null ? _receiver.BoundPort : 0; } }

        /// <summary>How many receiver components share this one's socket (1 = only this one).</summary>
        public int SharedBy { get { return _pooled ? ReceiverPool.Shared.UsersOf(_receiver) : (_receiver != null ? 1 : 0); } }

        /// <summary>A one-line human-readable state for inspectors and logs.</summary>
        public string StatusText
        {
            get
            {
                if (!IsListening)
                    return _statistics.Error ?? "stopped";
                if (!IsConnected)
                    return "listening on " + BindAddress + ":" + BoundPort + ", no packets yet (check the bridge's --output and firewall)";
                string text = "connected: " + _statistics.Decoder.Frames + " frames, " + _statistics.Decoder.Lost + " lost, "
                    + _statistics.Decoder.Malformed + " malformed";
                if (_statistics.InternalErrors > 0) text += ", " + _statistics.InternalErrors + " internal errors (" + _statistics.LastInternalError + ")";
                return text;
            }
        }

        Settings Current
        {
            get { return new Settings { Set = true, Protocol = Protocol, Bind = BindAddress, Port = Port }; }
        }

        void OnEnable() { StartReceiving(); }

        void OnDisable()
        {
            StopReceiving();
            _failed.Set = false; // enabling again reports a failure again
        }

        // Unity calls this after any Inspector edit (also in Play mode) and on load.
        void OnValidate()
        {
            if (_connectionTimeout < 0f) _connectionTimeout = 0f;
            if (_port < 0 || _port > 65535) _port = FacebridgeDecoder.DefaultPort;
            if (isActiveAndEnabled) ApplySettingsChange();
        }

        void Update()
        {
            // e.g. the connection asset was edited, or a failed port was changed by a script
            if ((_open.Set && !_open.Matches(this)) || (_failed.Set && !_failed.Matches(this))) ApplySettingsChange();
            Poll();
        }

        void ApplySettingsChange()
        {
            if (!isActiveAndEnabled) return; // OnEnable opens with the new settings
            bool failedBefore = _receiver == null && _failed.Set;
            if (_receiver == null && !failedBefore) return; // not started (Edit mode, or before OnEnable)
            if (failedBefore && _failed.Matches(this)) return; // same settings: the error was already reported
            if (_open.Matches(this) && IsListening) return;
            StopReceiving();
            StartReceiving();
        }

        /// <summary>Open the socket (called by OnEnable; safe to call again). Logs a clear error on failure.</summary>
        public bool StartReceiving()
        {
            if (IsListening && _open.Matches(this)) return true;
            var key = Current;
            if (_receiver != null && !_pooled && !_receiver.IsRunning
                && _receiver.Protocol == Protocol && _receiver.BindAddress == BindAddress && _receiver.Port == Port)
            {
                // Created by Inject before the component was enabled: start that one, keeping what it decoded.
                if (_receiver.Start()) return Opened(key, false);
                // The port may already be open in another receiver with the same settings: share that one instead.
            }
            ReleaseReceiver();
            string error;
            var receiver = ReceiverPool.Shared.Acquire(Protocol, BindAddress, Port, out error);
            if (receiver == null) return Failed(key, error);
            _receiver = receiver;
            _pooled = true;
            _takenVersion = receiver.Version; // a shared socket's old frame is not news to this component
            return Opened(key, true);
        }

        bool Opened(Settings key, bool addListeners)
        {
            _open = key;
            _failed.Set = false;
            if (addListeners)
                foreach (var l in _listeners) _receiver.Addresses.AddListener(l.Key, l.Value);
            _statistics = _receiver.Statistics;
            return true;
        }

        bool Failed(Settings key, string error)
        {
            _statistics.Listening = false;
            _statistics.Error = error;
            if (!_failed.Matches(this))
                Debug.LogError("FaceBridgeReceiver: " + error + ". Is another app (or a receiver with other settings) using this port? "
                    + "Change the port here and in the bridge's --output.", this);
            _failed = key;
            _open.Set = false;
            return false;
        }

        /// <summary>Close (or stop sharing) the socket (called by OnDisable).</summary>
        public void StopReceiving()
        {
            ReleaseReceiver();
            _open.Set = false;
            _statistics.Listening = false;
        }

        void ReleaseReceiver()
        {
            if (_receiver == null) return;
            foreach (var l in _listeners) _receiver.Addresses.RemoveListener(l.Key, l.Value);
            if (_pooled) ReceiverPool.Shared.Release(_receiver);
            else _receiver.Dispose();
            _receiver = null;
            _pooled = false;
        }

        /// <summary>
        /// Call <paramref name="callback"/> on the main thread with the newest message sent to <paramref name="address"/>
        /// on this receiver's port (your own OSC beside the face data; at most once per frame per address, newest wins).
        /// The message is only valid during the callback: read what you need with TryGetFloat/TryGetInt/GetString.
        /// </summary>
        public void AddAddressListener(string address, Action<OscMessage> callback)
        {
            if (string.IsNullOrEmpty(address) || address[0] != '/')
                throw new ArgumentException("an OSC address starts with '/', e.g. /my/value", "address");
            if (callback == null) throw new ArgumentNullException("callback");
            _listeners.Add(new KeyValuePair<string, Action<OscMessage>>(address, callback));
            if (_receiver != null) _receiver.Addresses.AddListener(address, callback);
        }

        /// <summary>Stop calling a callback added with AddAddressListener.</summary>
        public void RemoveAddressListener(string address, Action<OscMessage> callback)
        {
            for (int i = _listeners.Count - 1; i >= 0; i--)
            {
                if (_listeners[i].Key != address || _listeners[i].Value != callback) continue;
                _listeners.RemoveAt(i);
                if (_receiver != null) _receiver.Addresses.RemoveListener(address, callback);
                return;
            }
        }

        float _rateWindow;
        int _rateFrames;

        /// <summary>Take the newest frame if one arrived and dispatch address listeners (Update calls this; tests call it directly).</summary>
        public bool Poll()
        {
            if (_receiver == null) return false;
            _statistics = _receiver.Statistics;
            if (_logException == null) _logException = e => Debug.LogException(e, this);
            _receiver.Addresses.Dispatch(_logException);
            _rateWindow += Time.deltaTime;
            if (_rateWindow >= 1f)
            {
                FramesPerSecond = _rateFrames / _rateWindow;
                _rateWindow = 0f;
                _rateFrames = 0;
            }
            if (!_receiver.TryTakeLatest(_frame, ref _takenVersion)) return false;
            HasFrame = true;
            FrameVersion++;
            _rateFrames++;
            double capture = _frame.CaptureUnixSeconds;
            LatencySeconds = double.IsNaN(capture) ? double.NaN
                : (DateTime.UtcNow - new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc)).TotalSeconds - capture;
            var handler = FrameReceived;
            if (handler != null) handler(_frame);
            return true;
        }

        /// <summary>
        /// Decode a datagram as if it arrived on the socket (tests, recorded-packet playback). Works before the
        /// component is enabled (the socket opens later, keeping what was decoded) and while listening (decoding is
        /// serialized with the receive thread). Call Poll to take the resulting frame.
        /// </summary>
        public void Inject(byte[] datagram, int length)
        {
            if (_receiver == null)
            {
                _receiver = new UdpFrameReceiver(Protocol, BindAddress, Port);
                _pooled = false;
                foreach (var l in _listeners) _receiver.Addresses.AddListener(l.Key, l.Value);
            }
            _receiver.Inject(datagram, length);
        }
    }
}
