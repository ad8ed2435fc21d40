using FaceBridge.Core;
using UnityEditor;
using UnityEngine;

namespace FaceBridge.Editor
{
    /// <summary>Receiver inspector: settings plus live connection state, counters, emotion and tracking flags.</summary>
    [CustomEditor(typeof(FaceBridgeReceiver))]
    public sealed class FaceBridgeReceiverEditor : UnityEditor.Editor
    {
        public override bool RequiresConstantRepaint() { return EditorApplication.isPlaying; }

        public override void OnInspectorGUI()
        {
            DrawDefaultInspector();
            var receiver = (FaceBridgeReceiver)target;
            EditorGUILayout.Space();
            if (!EditorApplication.isPlaying)
            {
                EditorGUILayout.HelpBox("Enter Play mode to see live data. Start the bridge with\n  facebridge run --output facebridge:127.0.0.1:"
                    + receiver.Port, MessageType.Info);
                return;
            }
            var s = receiver.Statistics;
            EditorGUILayout.HelpBox(receiver.StatusText, receiver.IsConnected ? MessageType.Info : MessageType.Warning);
            foreach (var line in ReceiverReport.Describe(s, receiver.LatencySeconds)) EditorGUILayout.LabelField(line.Key, line.Value);
            if (GUILayout.Button("Open the FaceBridge Monitor")) FaceBridgeMonitorWindow.Open();
            if (!receiver.HasFrame) return;
            var f = receiver.Frame;
            EditorGUILayout.LabelField("Rig", (f.Rig ?? "?") + " (" + f.ValueCount + " shapes)");
            EditorGUILayout.LabelField("Sequence", f.Sequence.ToString());
            EditorGUILayout.LabelField("Tracking", f.Flags == TrackingFlags.None ? "ok" : f.Flags.ToString());
            EditorGUILayout.LabelField("Emotion", f.EmotionLabel + "  valence " + f.Valence.ToString("F2") + "  arousal " + f.Arousal.ToString("F2"));
            for (int i = 0; i < FaceFrame.EmotionCount; i++)
            {
                var rect = GUILayoutUtility.GetRect(18f, 200f, 16f, 16f);
                EditorGUI.ProgressBar(rect, f.EmotionProbabilities[i], FaceFrame.EmotionLabels[i] + " " + f.EmotionProbabilities[i].ToString("F2"));
            }
            for (int i = 0; i < FaceFrame.RegionCount; i++)
                EditorGUILayout.LabelField("Confidence " + FaceFrame.Regions[i], f.Confidence[i].ToString("F2"));
            if (f.HasLight)
                EditorGUILayout.LabelField("Light cue", "rgb(" + f.Light.R.ToString("F2") + ", " + f.Light.G.ToString("F2") + ", "
                    + f.Light.B.ToString("F2") + ") x " + f.Light.Intensity.ToString("F2") + " over " + f.Light.TransitionSeconds.ToString("F2") + " s");
        }
    }
}
