using System.Collections.Generic;

namespace FaceBridge.Core
{
    /// <summary>
    /// Rates (packets, frames and bytes per second) from successive statistics snapshots, and the human-readable
    /// lines the Inspector and the Monitor window show. Engine-free so it is tested outside Unity.
    /// </summary>
    public sealed class ReceiverReport
    {
        const double Window = 0.5; // seconds between rate updates: steadier than per-frame differences

        double _lastTime = double.NaN;
        long _lastPackets, _lastFrames, _lastBytes;

        public double PacketsPerSecond { get; private set; }
        public double FramesPerSecond { get; private set; }
        public double BytesPerSecond { get; private set; }

        /// <summary>Feed a snapshot taken at <paramref name="now"/> seconds (any monotonic clock).</summary>
        public void Update(ReceiverStatistics s, double now)
        {
            if (double.IsNaN(_lastTime) || now < _lastTime || s.Decoder.Packets < _lastPackets)
            {
                Reset(s, now);
                return;
            }
            double dt = now - _lastTime;
            if (dt < Window) return;
            PacketsPerSecond = (s.Decoder.Packets - _lastPackets) / dt;
            FramesPerSecond = (s.Decoder.Frames - _lastFrames) / dt;
            BytesPerSecond = (s.Decoder.Bytes - _lastBytes) / dt;
            Reset(s, now);
        }

        void Reset(ReceiverStatistics s, double now)
        {
            _lastTime = now;
            _lastPackets = s.Decoder.Packets;
            _lastFrames = s.Decoder.Frames;
            _lastBytes = s.Decoder.Bytes;
        }

        /// <summary>Label/value pairs describing the counters (allocates: for UI, not for hot paths).</summary>
        public static List<KeyValuePair<string, string>> Describe(ReceiverStatistics s, double latencySeconds)
        {
            var d = s.Decoder;
            var lines = new List<KeyValuePair<string, string>>();
            lines.Add(Pair("Packets", d.Packets + " (" + (d.Bytes / 1024) + " KiB)"));
            lines.Add(Pair("Frames", d.Frames + " decoded, " + s.FramesTaken + " taken, " + s.FramesSuperseded + " superseded"));
            lines.Add(Pair("Lost frames", d.Lost.ToString()));
            lines.Add(Pair("Malformed packets", d.Malformed + (d.Malformed > 0 ? " (last: " + d.LastError + ")" : "")));
            lines.Add(Pair("Ignored messages", d.Ignored.ToString()));
            lines.Add(Pair("Incomplete frames", d.WaitingForNames + " waiting for names, " + d.MissingValues + " missing values, "
                + d.MissingParts + " missing tracking/emotion"
                + (d.LastIncomplete != IncompleteReason.None ? " (last: " + d.LastIncomplete + ")" : "")));
            lines.Add(Pair("Duplicated datagrams", d.Duplicates.ToString()));
            lines.Add(Pair("Internal errors", s.InternalErrors == 0 ? "0"
                : s.InternalErrors + " (please report: " + s.LastInternalError + ")"));
            lines.Add(Pair("Latency", double.IsNaN(latencySeconds) ? "n/a (no capture timetag)"
                : (latencySeconds * 1000.0).ToString("F1") + " ms from capture (needs the same clock on both ends)"));
            return lines;
        }

        static KeyValuePair<string, string> Pair(string a, string b) { return new KeyValuePair<string, string>(a, b); }
    }
}
