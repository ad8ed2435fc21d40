using UnityEditor;
using UnityEngine;

namespace FaceBridge.Editor
{
    /// <summary>Recorder inspector: Record / Stop and save buttons in Play mode.</summary>
    [CustomEditor(typeof(BlendshapeRecorder))]
    public sealed class BlendshapeRecorderEditor : UnityEditor.Editor
    {
        public override bool RequiresConstantRepaint() { return EditorApplication.isPlaying; }

        public override void OnInspectorGUI()
        {
            DrawDefaultInspector();
            var recorder = (BlendshapeRecorder)target;
            if (!EditorApplication.isPlaying)
            {
                EditorGUILayout.HelpBox("Enter Play mode to record what the Blendshape Driver writes into an AnimationClip.", MessageType.Info);
                return;
            }
            if (!recorder.IsRecording)
            {
                if (GUILayout.Button("Record")) recorder.StartRecording();
                return;
            }
            EditorGUILayout.LabelField("Recording", recorder.Current.Duration.ToString("F1") + " s, " + recorder.Current.Curves.Count + " curves");
            if (GUILayout.Button("Stop and save..."))
            {
                var take = recorder.StopRecording();
                if (take != null) FaceBridgeClipWriter.SaveWithDialog(take, 60f);
            }
        }
    }
}
