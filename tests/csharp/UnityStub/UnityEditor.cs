// A minimal stand-in for UnityEditor.dll so the package's Editor/ inspectors are at least compiled here
// (type-checked against the same API names Unity has). NEVER shipped; nothing here draws anything.
using System;
using UnityEngine;

namespace UnityEditor
{
    [AttributeUsage(AttributeTargets.Class)]
    public sealed class CustomEditor : Attribute
    {
        public CustomEditor(Type inspectedType) { }
    }

    [AttributeUsage(AttributeTargets.Class)]
    public sealed class CanEditMultipleObjects : Attribute { }

    public class SerializedObject
    {
        public void Update() { }
        public bool ApplyModifiedProperties() { return false; }
    }

    public class Editor : ScriptableObject
    {
        public UnityEngine.Object target;
        public SerializedObject serializedObject = new SerializedObject();
        public virtual void OnInspectorGUI() { }
        public virtual bool RequiresConstantRepaint() { return false; }
        public bool DrawDefaultInspector() { return false; }
        public void Repaint() { }
    }

    public enum MessageType { None, Info, Warning, Error }

    public static class EditorGUILayout
    {
        public static void LabelField(string label) { }
        public static void LabelField(string label, string label2) { }
        public static void HelpBox(string message, MessageType type) { }
        public static void Space() { }
        public static bool Foldout(bool foldout, string content) { return foldout; }
        public static void Slider(string label, float value, float min, float max) { }
        public static void BeginHorizontal() { }
        public static void EndHorizontal() { }
    }

    public static class EditorGUI
    {
        public static void ProgressBar(Rect position, float value, string text) { }
        public sealed class DisabledScope : IDisposable
        {
            public DisabledScope(bool disabled) { }
            public void Dispose() { }
        }
    }

    public static class EditorApplication
    {
        public static bool isPlaying;
    }

    public static class EditorUtility
    {
        public static void SetDirty(UnityEngine.Object target) { }
    }

    public static class Undo
    {
        public static void RecordObject(UnityEngine.Object objectToUndo, string name) { }
    }
}
