using System.Collections.Generic;
using FaceBridge.Core;
using UnityEditor;
using UnityEngine;

namespace FaceBridge.Editor
{
    /// <summary>
    /// Window -> FaceBridge -> Monitor: what a receiver gets, live (packets/s, frames/s, losses, malformed and
    /// incomplete frames, internal errors, latency from the capture time, the last values and emotions), plus a
    /// Record button that keeps a performance as an AnimationClip.
    /// </summary>
    public sealed class FaceBridgeMonitorWindow : EditorWindow
    {
        FaceBridgeReceiver _receiver;
        BlendshapeDriver _driver;
        readonly ReceiverReport _report = new ReceiverReport();
        Vector2 _scroll;
        bool _showValues = true;

        [MenuItem("Window/FaceBridge/Monitor")]
        public static void Open()
        {
            GetWindow<FaceBridgeMonitorWindow>("FaceBridge Monitor").Show();
        }

        // Unity calls this 10 times per second while the window is open.
        void OnInspectorUpdate() { Repaint(); }

        void OnGUI()
        {
#if UNITY_2023_1_OR_NEWER
            if (_receiver == null) _receiver = FindAnyObjectByType<FaceBridgeReceiver>();
            if (_driver == null) _driver = FindAnyObjectByType<BlendshapeDriver>();
#else
            if (_receiver == null) _receiver = FindObjectOfType<FaceBridgeReceiver>();
            if (_driver == null) _driver = FindObjectOfType<BlendshapeDriver>();
#endif
            _receiver = (FaceBridgeReceiver)EditorGUILayout.ObjectField("Receiver", _receiver, typeof(FaceBridgeReceiver), true);
            if (_receiver == null)
            {
                EditorGUILayout.HelpBox("No FaceBridgeReceiver in the open scenes. Add one: Add Component -> FaceBridge -> FaceBridge Receiver.",
                    MessageType.Info);
                return;
            }
            if (!EditorApplication.isPlaying)
            {
                EditorGUILayout.HelpBox("Enter Play mode to see live data. Start the bridge with\n  facebridge run --output facebridge:127.0.0.1:"
                    + _receiver.Port, MessageType.Info);
                return;
            }
            var s = _receiver.Statistics;
            _report.Update(s, EditorApplication.timeSinceStartup);
            EditorGUILayout.HelpBox(_receiver.StatusText,
                s.InternalErrors > 0 ? MessageType.Error : _receiver.IsConnected ? MessageType.Info : MessageType.Warning);
            EditorGUILayout.LabelField("Rate", _report.PacketsPerSecond.ToString("F0") + " packets/s, " + _report.FramesPerSecond.ToString("F1")
                + " frames/s, " + (_report.BytesPerSecond / 1024.0).ToString("F1") + " KiB/s");
            EditorGUILayout.LabelField("Socket", _receiver.BindAddress + ":" + _receiver.BoundPort + " (" + _receiver.Protocol + "), shared by "
                + _receiver.SharedBy + " receiver(s)");
            foreach (var line in ReceiverReport.Describe(s, _receiver.LatencySeconds)) EditorGUILayout.LabelField(line.Key, line.Value);

            DrawRecorder();

            if (!_receiver.HasFrame) return;
            var f = _receiver.Frame;
            EditorGUILayout.Space();
            EditorGUILayout.LabelField("Frame", "#" + f.Sequence + "  rig " + (f.Rig ?? "?") + ", " + f.ValueCount + " values, tracking "
                + (f.Flags == TrackingFlags.None ? "ok" : f.Flags.ToString()));
            EditorGUILayout.LabelField("Emotion", f.EmotionLabel + "  valence " + f.Valence.ToString("F2") + "  arousal " + f.Arousal.ToString("F2"));
            if (f.HasLight)
                EditorGUILayout.LabelField("Light cue", "rgb(" + f.Light.R.ToString("F2") + ", " + f.Light.G.ToString("F2") + ", "
                    + f.Light.B.ToString("F2") + ") x " + f.Light.Intensity.ToString("F2") + " over " + f.Light.TransitionSeconds.ToString("F2") + " s");
            _showValues = EditorGUILayout.Foldout(_showValues, "Last values");
            if (!_showValues) return;
            _scroll = EditorGUILayout.BeginScrollView(_scroll);
            for (int i = 0; i < FaceFrame.EmotionCount; i++)
            {
                var rect = GUILayoutUtility.GetRect(18f, 400f, 16f, 16f);
                EditorGUI.ProgressBar(rect, f.EmotionProbabilities[i], FaceFrame.EmotionLabels[i] + " " + f.EmotionProbabilities[i].ToString("F2"));
            }
            for (int i = 0; i < f.ValueCount && i < f.Names.Length; i++)
            {
                var rect = GUILayoutUtility.GetRect(18f, 400f, 16f, 16f);
                EditorGUI.ProgressBar(rect, Mathf.Clamp01(f.Values[i]), f.Names[i] + " " + f.Values[i].ToString("F3"));
            }
            EditorGUILayout.EndScrollView();
        }

        void DrawRecorder()
        {
            EditorGUILayout.Space();
            _driver = (BlendshapeDriver)EditorGUILayout.ObjectField("Record driver", _driver, typeof(BlendshapeDriver), true);
            if (_driver == null) return;
            var recorder = _driver.GetComponent<BlendshapeRecorder>();
            bool recording = recorder != null && recorder.IsRecording;
            if (!recording && GUILayout.Button("Record to AnimationClip"))
            {
                if (recorder == null) recorder = _driver.gameObject.AddComponent<BlendshapeRecorder>();
                recorder.Driver = _driver;
                recorder.StartRecording();
            }
            else if (recording)
            {
                EditorGUILayout.LabelField("Recording", recorder.Current.Duration.ToString("F1") + " s, " + recorder.Current.Curves.Count + " curves");
                if (GUILayout.Button("Stop and save..."))
                {
                    var take = recorder.StopRecording();
                    if (take != null) FaceBridgeClipWriter.SaveWithDialog(take, 60f);
                }
            }
        }
    }
}
