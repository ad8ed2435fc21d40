using System.Text;

namespace FaceBridge.Core
{
    /// <summary>Why a started frame never completed (the last one is in <see cref="DecoderStatistics.LastIncomplete"/>).</summary>
    public enum IncompleteReason
    {
        None = 0,
        /// <summary>Its names table (table id) had not arrived: the bridge resends it every 2 s.</summary>
        WaitingForNames,
        /// <summary>Some of its values never arrived (a continuation datagram of a big rig was lost).</summary>
        MissingValues,
        /// <summary>Its tracking or emotion message was missing (a sender that is not FaceBridge v1, or a bug).</summary>
        MissingParts,
    }

    /// <summary>Counters every decoder keeps (read them from the thread that calls Decode, or copy them).</summary>
    public struct DecoderStatistics
    {
        public long Packets;
        public long Bytes;
        /// <summary>Frames completely decoded and published to <see cref="IFrameDecoder.Frame"/>.</summary>
        public long Frames;
        /// <summary>Frames missing from the sequence numbers (lost on the network or dropped by the sender).</summary>
        public long Lost;
        /// <summary>Packets rejected as malformed OSC or invalid protocol messages.</summary>
        public long Malformed;
        /// <summary>Well-formed messages for other protocols or versions (ignored unless an address handler takes them).</summary>
        public long Ignored;
        /// <summary>Frames that started but never completed because their names table was missing.</summary>
        public long WaitingForNames;
        /// <summary>Frames that started but never completed because values were lost (big rigs, several datagrams).</summary>
        public long MissingValues;
        /// <summary>Frames that started but never completed because tracking or emotion was missing.</summary>
        public long MissingParts;
        /// <summary>The reason of the most recent incomplete frame (None when none happened yet).</summary>
        public IncompleteReason LastIncomplete;
        /// <summary>Repeated datagrams (a frame header or values seen twice, e.g. duplicated by the network): not counted twice.</summary>
        public long Duplicates;
        /// <summary>Packets that hit an exception inside the package (a bug: please report it with LastInternalError).</summary>
        public long InternalErrors;
        /// <summary>Type and message of the last internal error (null when none).</summary>
        public string LastInternalError;
        public OscParseStatus LastError;
    }

    /// <summary>Turns datagrams into <see cref="FaceFrame"/>s. One instance per receive thread.</summary>
    public interface IFrameDecoder
    {
        /// <summary>Decode one datagram; true when it completed a new frame (now in <see cref="Frame"/>).</summary>
        bool Decode(byte[] buffer, int length);

        /// <summary>The latest complete frame (owned by the decoding thread).</summary>
        FaceFrame Frame { get; }

        DecoderStatistics Statistics { get; }

        /// <summary>Receives every well-formed message this decoder does not use (null = count them as ignored).</summary>
        IOscMessageHandler Fallback { get; set; }
    }

    /// <summary>
    /// Decoder for the facebridge protocol v1 (docs/protocol.md): assembles the names table, frame header,
    /// tracking, emotion, affect, light cue and indexed values (also when split over several datagrams).
    /// Allocation-free in steady state: a names table allocates strings only when its id changes.
    /// </summary>
    public sealed class FacebridgeDecoder : IFrameDecoder, IOscMessageHandler
    {
        /// <summary>Protocol version this decoder speaks (the "v1" in /fb/v1/...).</summary>
        public const int ProtocolVersion = 1;
        /// <summary>Default UDP port of the bridge's facebridge output and of FaceBridgeReceiver.</summary>
        public const int DefaultPort = 39571;
        /// <summary>Largest rig accepted (protects against hostile headers asking for huge buffers).</summary>
        public const int MaxNames = 4096;

        static readonly byte[] AddrPrefix = Encoding.ASCII.GetBytes("/fb/v1/");
        static readonly byte[] AddrNames = Encoding.ASCII.GetBytes("/fb/v1/names");
        static readonly byte[] AddrFrame = Encoding.ASCII.GetBytes("/fb/v1/frame");
        static readonly byte[] AddrTracking = Encoding.ASCII.GetBytes("/fb/v1/tracking");
        static readonly byte[] AddrEmotion = Encoding.ASCII.GetBytes("/fb/v1/emotion");
        static readonly byte[] AddrAffect = Encoding.ASCII.GetBytes("/fb/v1/affect");
        static readonly byte[] AddrLight = Encoding.ASCII.GetBytes("/fb/v1/light");
        static readonly byte[] AddrValues = Encoding.ASCII.GetBytes("/fb/v1/values");
        static readonly byte[][] LabelBytes = BuildLabelBytes();

        static byte[][] BuildLabelBytes()
        {
            var labels = new byte[FaceFrame.EmotionCount][];
            for (int i = 0; i < labels.Length; i++) labels[i] = Encoding.UTF8.GetBytes(FaceFrame.EmotionLabels[i]);
            return labels;
        }

        readonly OscParser _parser = new OscParser();
        readonly FaceFrame _published = new FaceFrame();
        readonly FaceFrame _work = new FaceFrame();
        DecoderStatistics _stats;

        // The complete names table and the one being assembled.
        int _tableId = -1;
        string _rig;
        string[] _names = new string[0];
        int _namesVersion;
        int _pendingTableId = -1;
        string _pendingRig;
        string[] _pendingNames;
        bool[] _pendingHave;
        int _pendingCount;

        // The frame being assembled. _valueHave marks the value slots already received, so a repeated datagram
        // cannot make a frame look complete while another part is still missing.
        bool _frameOpen, _haveTracking, _haveEmotion;
        int _frameTableId, _valuesReceived;
        bool[] _valueHave = new bool[0];
        bool _haveLastSequence;
        int _lastSequence;
        bool _badMessage;

        public FaceFrame Frame { get { return _published; } }

        public DecoderStatistics Statistics
        {
            get
            {
                var s = _stats;
                s.InternalErrors += _parser.InternalErrors;
                if (_parser.LastInternalError != null) s.LastInternalError = _parser.LastInternalError;
                return s;
            }
        }

        public IOscMessageHandler Fallback { get; set; }
        /// <summary>The names table id of the complete table (-1 before one arrived).</summary>
        public int TableId { get { return _tableId; } }
        /// <summary>Packets whose OSC parse hit an internal error (must stay 0; checked by the fuzz test).</summary>
        public int ParserInternalErrors { get { return _parser.InternalErrors; } }

        public bool Decode(byte[] buffer, int length)
        {
            _stats.Packets++;
            _stats.Bytes += length;
            _badMessage = false;
            var status = _parser.Parse(buffer, length, this);
            if (status == OscParseStatus.InternalError)
            {
                _frameOpen = false; // our bug, not the sender's: counted in InternalErrors, not Malformed
                return false;
            }
            if (status != OscParseStatus.Ok || _badMessage)
            {
                _stats.Malformed++;
                _stats.LastError = status != OscParseStatus.Ok ? status : OscParseStatus.BadTypeTags;
                _frameOpen = false; // never publish a frame that contained a bad part
                return false;
            }
            return TryPublish();
        }

        public void OnMessage(OscMessage m)
        {
            if (!m.AddressStartsWith(AddrPrefix)) { Pass(m); return; }
            if (m.AddressEquals(AddrValues)) OnValues(m);
            else if (m.AddressEquals(AddrFrame)) OnFrame(m);
            else if (m.AddressEquals(AddrTracking)) OnTracking(m);
            else if (m.AddressEquals(AddrEmotion)) OnEmotion(m);
            else if (m.AddressEquals(AddrAffect)) OnAffect(m);
            else if (m.AddressEquals(AddrLight)) OnLight(m);
            else if (m.AddressEquals(AddrNames)) OnNames(m);
            else Pass(m); // a newer minor message this version does not know
        }

        void Pass(OscMessage m)
        {
            var fallback = Fallback;
            if (fallback != null) fallback.OnMessage(m);
            else _stats.Ignored++;
        }

        /// <summary>Count why the open frame will never complete (a newer frame started).</summary>
        void CountIncomplete()
        {
            IncompleteReason reason;
            if (_frameTableId != _tableId) { _stats.WaitingForNames++; reason = IncompleteReason.WaitingForNames; }
            else if (!_haveTracking || !_haveEmotion) { _stats.MissingParts++; reason = IncompleteReason.MissingParts; }
            else { _stats.MissingValues++; reason = IncompleteReason.MissingValues; }
            _stats.LastIncomplete = reason;
        }

        void OnFrame(OscMessage m)
        {
            int seq, tableId, count;
            if (!m.TagsEqual("iii") || !m.TryGetInt(0, out seq) || !m.TryGetInt(1, out tableId)
                || !m.TryGetInt(2, out count) || seq < 0 || count < 0 || count > MaxNames)
            {
                _badMessage = true;
                return;
            }
            if (_haveLastSequence && seq == _lastSequence)
            {
                // The same header again (a duplicated datagram): keep assembling, never publish the frame twice.
                _stats.Duplicates++;
                return;
            }
            if (_frameOpen) CountIncomplete(); // the previous frame never completed
            if (_haveLastSequence)
            {
                int gap = (seq - _lastSequence - 1) & 0x7FFFFFFF;
                if (gap < (1 << 20)) _stats.Lost += gap; // a huge jump is a sender restart, not loss
            }
            _haveLastSequence = true;
            _lastSequence = seq;
            _frameOpen = true;
            _haveTracking = _haveEmotion = false;
            _frameTableId = tableId;
            _valuesReceived = 0;
            _work.Sequence = seq;
            _work.Timetag = m.Timetag;
            _work.HasLight = false;
            _work.Valence = _work.Arousal = 0f;
            _work.EnsureCapacity(count);
            _work.ValueCount = count;
            if (_valueHave.Length < count) _valueHave = new bool[_work.Values.Length]; // only when the rig grows
            else System.Array.Clear(_valueHave, 0, count);
        }

        void OnTracking(OscMessage m)
        {
            int flags;
            if (!m.TagsEqual("iffff") || !m.TryGetInt(0, out flags)) { _badMessage = true; return; }
            if (!_frameOpen) return;
            _work.Flags = (TrackingFlags)flags;
            for (int i = 0; i < FaceFrame.RegionCount; i++) m.TryGetFloat(1 + i, out _work.Confidence[i]);
            _haveTracking = true;
        }

        void OnEmotion(OscMessage m)
        {
            int index;
            if (!m.TagsEqual("isffffffff") || !m.TryGetInt(0, out index) || index < 0 || index >= FaceFrame.EmotionCount
                || !m.StringEquals(1, LabelBytes[index]))
            {
                _badMessage = true;
                return;
            }
            if (!_frameOpen) return;
            _work.EmotionIndex = index;
            for (int i = 0; i < FaceFrame.EmotionCount; i++) m.TryGetFloat(2 + i, out _work.EmotionProbabilities[i]);
            _haveEmotion = true;
        }

        void OnAffect(OscMessage m)
        {
            if (!m.TagsEqual("ff")) { _badMessage = true; return; }
            if (!_frameOpen) return;
            m.TryGetFloat(0, out _work.Valence);
            m.TryGetFloat(1, out _work.Arousal);
        }

        void OnLight(OscMessage m)
        {
            if (!m.TagsEqual("fffff")) { _badMessage = true; return; }
            if (!_frameOpen) return;
            m.TryGetFloat(0, out _work.Light.R);
            m.TryGetFloat(1, out _work.Light.G);
            m.TryGetFloat(2, out _work.Light.B);
            m.TryGetFloat(3, out _work.Light.Intensity);
            m.TryGetFloat(4, out _work.Light.TransitionSeconds);
            _work.HasLight = true;
        }

        void OnValues(OscMessage m)
        {
            int seq, tableId, offset;
            if (!m.TagsMatch("iii", 'f') || !m.TryGetInt(0, out seq) || !m.TryGetInt(1, out tableId)
                || !m.TryGetInt(2, out offset) || offset < 0)
            {
                _badMessage = true;
                return;
            }
            int n = m.ArgumentCount - 3;
            if (!_frameOpen || seq != _work.Sequence || tableId != _frameTableId || offset > _work.ValueCount - n) return;
            float[] values = _work.Values;
            bool[] have = _valueHave;
            int fresh = 0;
            for (int i = 0; i < n; i++)
            {
                m.TryGetFloat(3 + i, out values[offset + i]);
                if (have[offset + i]) continue;
                have[offset + i] = true;
                fresh++;
            }
            if (fresh < n) _stats.Duplicates++;
            _valuesReceived += fresh;
        }

        void OnNames(OscMessage m)
        {
            int tableId, total, offset;
            if (!m.TagsMatch("isii", 's') || !m.TryGetInt(0, out tableId) || !m.TryGetInt(2, out total)
                || !m.TryGetInt(3, out offset) || total < 0 || total > MaxNames || offset < 0
                || offset > total - (m.ArgumentCount - 4))
            {
                _badMessage = true;
                return;
            }
            if (tableId == _tableId && total == _names.Length) return; // the periodic resend of the table we have
            if (tableId != _pendingTableId || _pendingNames == null || _pendingNames.Length != total)
            {
                _pendingTableId = tableId;
                _pendingRig = m.GetString(1);
                _pendingNames = new string[total];
                _pendingHave = new bool[total];
                _pendingCount = 0;
            }
            for (int i = 4; i < m.ArgumentCount; i++)
            {
                int at = offset + i - 4;
                if (_pendingHave[at]) continue;
                _pendingNames[at] = m.GetString(i);
                _pendingHave[at] = true;
                _pendingCount++;
            }
            if (_pendingCount == total)
            {
                _tableId = tableId;
                _rig = _pendingRig;
                _names = _pendingNames;
                _namesVersion++;
                _pendingTableId = -1;
                _pendingNames = null;
                _pendingHave = null;
            }
        }

        bool TryPublish()
        {
            if (!_frameOpen || !_haveTracking || !_haveEmotion || _valuesReceived < _work.ValueCount) return false;
            if (_frameTableId != _tableId) return false; // wait for the names table (counted when the next frame starts)
            _frameOpen = false;
            if (_names.Length != _work.ValueCount) { _stats.Malformed++; return false; }
            _work.Rig = _rig;
            _work.Names = _names;
            _work.NamesVersion = _namesVersion;
            _published.CopyFrom(_work);
            _stats.Frames++;
            return true;
        }
    }
}
