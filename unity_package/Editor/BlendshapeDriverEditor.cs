using System.Collections.Generic;
using FaceBridge.Core;
using UnityEditor;
using UnityEngine;

namespace FaceBridge.Editor
{
    /// <summary>Driver inspector: an Auto-map button, the unmapped-shape report and live incoming values.</summary>
    [CustomEditor(typeof(BlendshapeDriver))]
    public sealed class BlendshapeDriverEditor : UnityEditor.Editor
    {
        bool _showValues;

        public override bool RequiresConstantRepaint() { return EditorApplication.isPlaying && _showValues; }

        public override void OnInspectorGUI()
        {
            DrawDefaultInspector();
            var driver = (BlendshapeDriver)target;
            var receiver = driver.Receiver;
            bool live = receiver != null && receiver.HasFrame;
            EditorGUILayout.Space();
            if (GUILayout.Button(live ? "Auto-map to the live names" : "Auto-map to the 52 ARKit names"))
            {
                Undo.RecordObject(driver, "FaceBridge auto-map");
                IList<string> names = live ? (IList<string>)receiver.Frame.Names : NameMapper.Arkit52Names;
                driver.AutoMap(names);
                EditorUtility.SetDirty(driver);
            }
            EditorGUILayout.LabelField("Mapped mesh shapes", driver.MappedCount.ToString());
            if (EditorApplication.isPlaying)
                EditorGUILayout.LabelField("Tracking weight", driver.TrackingWeight.ToString("F2")
                    + (driver.TrackingWeight < 1f ? "  (easing to neutral: the bridge is not sending)" : ""));
            if (driver.UnmappedIncoming.Count > 0)
                EditorGUILayout.HelpBox("Incoming shapes with no mesh shape (add an alias if your mesh calls them differently):\n"
                    + string.Join(", ", new List<string>(driver.UnmappedIncoming).ToArray()), MessageType.Warning);
            if (driver.UnmappedTargets.Count > 0)
                EditorGUILayout.HelpBox("Mesh shapes nothing drives:\n" + string.Join(", ", new List<string>(driver.UnmappedTargets).ToArray()),
                    MessageType.Info);
            if (!live) return;
            _showValues = EditorGUILayout.Foldout(_showValues, "Live values");
            if (!_showValues) return;
            var f = receiver.Frame;
            for (int i = 0; i < f.ValueCount && i < f.Names.Length; i++)
            {
                var rect = GUILayoutUtility.GetRect(18f, 200f, 16f, 16f);
                EditorGUI.ProgressBar(rect, Mathf.Clamp01(f.Values[i]), f.Names[i] + " " + f.Values[i].ToString("F2"));
            }
        }
    }
}
