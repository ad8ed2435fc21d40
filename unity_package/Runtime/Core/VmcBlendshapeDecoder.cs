using System.Text;

namespace FaceBridge.Core
{
    /// <summary>
    /// Optional decoder for VMC protocol blendshapes (/VMC/Ext/Blend/Val name value ... /VMC/Ext/Blend/Apply),
    /// so the same drivers work with any VMC performer. Names are interned from the receive buffer, so a
    /// steady stream of known names allocates nothing. Other VMC messages are counted as ignored.
    /// </summary>
    public sealed class VmcBlendshapeDecoder : IFrameDecoder, IOscMessageHandler
    {
        /// <summary>Receiver ("Marionette") default port of the VMC protocol.</summary>
        public const int DefaultPort = 39539;
        /// <summary>Most distinct blendshape names kept (a hostile sender cannot grow memory further).</summary>
        public const int MaxNames = 1024;

        static readonly byte[] AddrVal = Encoding.ASCII.GetBytes("/VMC/Ext/Blend/Val");
        static readonly byte[] AddrApply = Encoding.ASCII.GetBytes("/VMC/Ext/Blend/Apply");

        readonly OscParser _parser = new OscParser();
        readonly Utf8NameTable _table = new Utf8NameTable(MaxNames);
        readonly float[] _pending = new float[MaxNames];
        readonly FaceFrame _published = new FaceFrame();
        int _publishedNameCount;
        int _sequence;
        bool _applied;
        DecoderStatistics _stats;

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

        /// <summary>Receives the VMC messages this decoder does not use (bones, root, lights, /VMC/Thru/...).</summary>
        public IOscMessageHandler Fallback { get; set; }

        public VmcBlendshapeDecoder()
        {
            _published.Rig = "vmc";
            _published.EmotionProbabilities[0] = 1f; // VMC carries no emotion: report neutral
        }

        public bool Decode(byte[] buffer, int length)
        {
            _stats.Packets++;
            _stats.Bytes += length;
            _applied = false;
            var status = _parser.Parse(buffer, length, this);
            if (status == OscParseStatus.InternalError) return false; // counted in InternalErrors
            if (status != OscParseStatus.Ok)
            {
                _stats.Malformed++;
                _stats.LastError = status;
                return false;
            }
            return _applied;
        }

        public void OnMessage(OscMessage m)
        {
            if (m.AddressEquals(AddrVal))
            {
                // The spec says: ignore messages with too few args or wrong types; extra args are allowed.
                int start, length;
                float value;
                if (m.ArgumentCount < 2 || !m.TryGetStringBytes(0, out start, out length) || !m.TryGetFloat(1, out value))
                {
                    _stats.Ignored++;
                    return;
                }
                int index = _table.Intern(m.Buffer, start, length);
                if (index >= 0) _pending[index] = value;
            }
            else if (m.AddressEquals(AddrApply))
            {
                Apply(m.Timetag);
            }
            else if (Fallback != null)
            {
                Fallback.OnMessage(m);
            }
            else
            {
                _stats.Ignored++;
            }
        }

        void Apply(ulong timetag)
        {
            int count = _table.Count;
            if (count != _publishedNameCount)
            {
                _published.Names = _table.ToArray(); // only when a new name appeared
                _published.NamesVersion++;
                _publishedNameCount = count;
            }
            _published.EnsureCapacity(count);
            System.Array.Copy(_pending, _published.Values, count);
            _published.ValueCount = count;
            _published.Sequence = _sequence++ & 0x7FFFFFFF;
            _published.Timetag = timetag;
            _stats.Frames++;
            _applied = true;
        }
    }
}
