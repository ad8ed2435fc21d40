// FaceBridge console receiver: the package's core receiver outside Unity, for the live cross-language test
// (tests/test_unity_live.py) and for checking a bridge by hand:
//   mono tests/csharp/build/FaceBridgeConsoleReceiver.exe --port 39571 --duration 10
// Prints "listening <port>" once bound, then one JSON line with the counters when it stops: after --duration, after
// --idle seconds without packets, or (--expect-from-stdin) once as many datagrams were decoded as the number the
// sender writes to stdin when it is done, which ends a test on a condition instead of on an idle timer.
using System;
using System.Globalization;
using System.Text;
using System.Threading;
using FaceBridge.Core;

static class Program
{
    static int Usage(string error)
    {
        Console.Error.WriteLine("error: " + error);
        Console.Error.WriteLine("usage: FaceBridgeConsoleReceiver.exe [--port N (0 = any free port)] [--bind ADDRESS] " +
                                "[--protocol facebridge|vmc] [--duration SECONDS] [--idle SECONDS] [--expect-from-stdin]");
        return 2;
    }

    static string Json(string s)
    {
        if (s == null) return "null";
        var sb = new StringBuilder("\"");
        foreach (char c in s)
        {
            if (c == '"' || c == '\\') sb.Append('\\').Append(c);
            else if (c < 0x20) sb.AppendFormat("\\u{0:x4}", (int)c);
            else sb.Append(c);
        }
        return sb.Append('"').ToString();
    }

    static int Main(string[] args)
    {
        int port = FacebridgeDecoder.DefaultPort;
        string bind = "127.0.0.1";
        var protocol = ReceiverProtocol.FaceBridge;
        double duration = 30, idle = 2;
        bool expectFromStdin = false;
        var inv = CultureInfo.InvariantCulture;
        for (int i = 0; i < args.Length; i++)
        {
            string value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--port": if (value == null || !int.TryParse(value, out port)) return Usage("--port needs a number"); i++; break;
                case "--bind": if (value == null) return Usage("--bind needs an address"); bind = value; i++; break;
                case "--duration": if (value == null || !double.TryParse(value, NumberStyles.Float, inv, out duration)) return Usage("--duration needs seconds"); i++; break;
                case "--idle": if (value == null || !double.TryParse(value, NumberStyles.Float, inv, out idle)) return Usage("--idle needs seconds"); i++; break;
                case "--expect-from-stdin": expectFromStdin = true; break;
                case "--protocol":
                    if (value == "facebridge") protocol = ReceiverProtocol.FaceBridge;
                    else if (value == "vmc") protocol = ReceiverProtocol.Vmc;
                    else return Usage("--protocol is facebridge or vmc");
                    i++;
                    break;
                default: return Usage("unknown argument " + args[i]);
            }
        }

        using (var receiver = new UdpFrameReceiver(protocol, bind, port))
        {
            if (!receiver.Start())
            {
                Console.Error.WriteLine(receiver.Statistics.Error);
                return 1;
            }
            Console.WriteLine("listening " + receiver.BoundPort);
            Console.Out.Flush();
            long expected = -1; // datagrams the sender says it sent (-1: not told yet)
            if (expectFromStdin)
            {
                var stdin = new Thread(() =>
                {
                    string line = Console.In.ReadLine();
                    long n;
                    if (line != null && long.TryParse(line.Trim(), NumberStyles.Integer, inv, out n))
                        Interlocked.Exchange(ref expected, n);
                });
                stdin.IsBackground = true;
                stdin.Start();
            }
            var frame = new FaceFrame();
            var stop = DateTime.UtcNow.AddSeconds(duration);
            long taken = 0;
            while (DateTime.UtcNow < stop)
            {
                if (receiver.TryTakeLatest(frame)) taken++;
                var s = receiver.Statistics;
                long want = Interlocked.Read(ref expected);
                if (want >= 0 && s.Decoder.Packets >= want) break; // everything the sender sent was decoded
                if (s.Decoder.Packets > 0 && s.SecondsSinceLastPacket > idle) break; // the sender finished (or lost some)
                Thread.Sleep(5);
            }
            if (receiver.TryTakeLatest(frame)) taken++; // a frame completed after the last take in the loop
            var st = receiver.Statistics;
            var d = st.Decoder;
            Console.WriteLine(string.Format(inv,
                "{{\"packets\": {0}, \"bytes\": {1}, \"frames\": {2}, \"lost\": {3}, \"malformed\": {4}, \"ignored\": {5}, " +
                "\"waiting_for_names\": {6}, \"taken\": {7}, \"rig\": {8}, \"names\": {9}, \"last_sequence\": {10}, " +
                "\"emotion\": {11}, \"flags\": {12}, \"has_light\": {13}, \"capture_time\": {14}, \"missing_values\": {15}, " +
                "\"missing_parts\": {16}, \"duplicates\": {17}, \"internal_errors\": {18}}}",
                d.Packets, d.Bytes, d.Frames, d.Lost, d.Malformed, d.Ignored, d.WaitingForNames, taken, Json(frame.Rig),
                frame.Names.Length, frame.Sequence, Json(taken > 0 ? frame.EmotionLabel : null), (int)frame.Flags,
                frame.HasLight ? "true" : "false",
                double.IsNaN(frame.CaptureUnixSeconds) ? "null" : frame.CaptureUnixSeconds.ToString("F6", inv),
                d.MissingValues, d.MissingParts, d.Duplicates, st.InternalErrors));
        }
        return 0;
    }
}
