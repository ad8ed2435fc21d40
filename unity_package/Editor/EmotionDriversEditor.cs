using FaceBridge.Core;
using UnityEditor;
using UnityEngine;

namespace FaceBridge.Editor
{
    /// <summary>Lighting inspector: the light cue being shown right now.</summary>
    [CustomEditor(typeof(EmotionLightingDriver))]
    public sealed class EmotionLightingDriverEditor : UnityEditor.Editor
    {
        public override bool RequiresConstantRepaint() { return EditorApplication.isPlaying; }

        public override void OnInspectorGUI()
        {
            DrawDefaultInspector();
            if (!EditorApplication.isPlaying) return;
            LightCue c = ((EmotionLightingDriver)target).Current;
            EditorGUILayout.LabelField("Current light", "rgb(" + c.R.ToString("F2") + ", " + c.G.ToString("F2") + ", " + c.B.ToString("F2")
                + ") x " + c.Intensity.ToString("F2"));
        }
    }

    /// <summary>Emotion events inspector: the winning label and which triggers are active.</summary>
    [CustomEditor(typeof(EmotionEvents))]
    public sealed class EmotionEventsEditor : UnityEditor.Editor
    {
        public override bool RequiresConstantRepaint() { return EditorApplication.isPlaying; }

        public override void OnInspectorGUI()
        {
            DrawDefaultInspector();
            if (!EditorApplication.isPlaying) return;
            var events = (EmotionEvents)target;
            EditorGUILayout.LabelField("Winning label", events.CurrentLabel ?? "(no frame yet)");
            foreach (var t in events.Triggers)
                if (t != null) EditorGUILayout.LabelField(t.emotion.ToString(), t.IsActive ? "ACTIVE" : "-");
        }
    }
}
