// A minimal stand-in for UnityEditor.dll so the package's Editor/ code is compiled here against the same API
// names Unity has. NEVER shipped; nothing here draws anything. Like UnityEngine.cs, its public surface is checked
// against tests/csharp/unity-api.txt; the stub's own plumbing is `internal`.
using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using UnityEngine;

[assembly: InternalsVisibleTo("FaceBridge.StubTests")]

namespace UnityEditor
{
    [AttributeUsage(AttributeTargets.Class)]
    public sealed class CustomEditor : Attribute
    {
        public CustomEditor(Type inspectedType) { }
    }

    [AttributeUsage(AttributeTargets.Class)]
    public sealed class CanEditMultipleObjects : Attribute
    {
        public CanEditMultipleObjects() { }
    }

    [AttributeUsage(AttributeTargets.Method)]
    public sealed class MenuItem : Attribute
    {
        public MenuItem(string itemName) { }
    }

    public sealed class SerializedObject : IDisposable
    {
        internal SerializedObject() { }

        public void Update() { }
        public bool ApplyModifiedProperties() { return false; }
        public void Dispose() { }
    }

    public class Editor : ScriptableObject
    {
        readonly SerializedObject _serializedObject = new SerializedObject();

        public Editor() { }

        public UnityEngine.Object target { get; set; }
        public SerializedObject serializedObject { get { return _serializedObject; } }
        public virtual void OnInspectorGUI() { }
        public virtual bool RequiresConstantRepaint() { return false; }
        public bool DrawDefaultInspector() { return false; }
        public void Repaint() { }
    }

    public class EditorWindow : ScriptableObject
    {
        public EditorWindow() { }

        public static T GetWindow<T>(string title) where T : EditorWindow { return CreateInstance<T>(); }
        public void Repaint() { }
        public void Show() { }
    }

    public enum MessageType { None = 0, Info = 1, Warning = 2, Error = 3 }

    public class EditorGUILayout
    {
        internal EditorGUILayout() { }

        public static void LabelField(string label, params GUILayoutOption[] options) { }
        public static void LabelField(string label, string label2, params GUILayoutOption[] options) { }
        public static void HelpBox(string message, MessageType type) { }
        public static void Space() { }
        public static bool Foldout(bool foldout, string content, GUIStyle style = null) { return foldout; } // Unity: style = EditorStyles.foldout
        public static bool Toggle(string label, bool value, params GUILayoutOption[] options) { return value; }
        public static float FloatField(string label, float value, params GUILayoutOption[] options) { return value; }

        public static UnityEngine.Object ObjectField(string label, UnityEngine.Object obj, Type objType, bool allowSceneObjects,
                                                     params GUILayoutOption[] options)
        {
            return obj;
        }

        public static Vector2 BeginScrollView(Vector2 scrollPosition, params GUILayoutOption[] options) { return scrollPosition; }
        public static void EndScrollView() { }
        public static Rect BeginHorizontal(params GUILayoutOption[] options) { return new Rect(); }
        public static void EndHorizontal() { }
    }

    public sealed class EditorGUI
    {
        internal EditorGUI() { }

        public static void ProgressBar(Rect position, float value, string text) { }
    }

    public sealed class EditorApplication
    {
        internal EditorApplication() { }

        public static bool isPlaying { get { return Application.isPlaying; } set { } }
        public static double timeSinceStartup { get { return Time.realtimeSinceStartup; } }
    }

    public sealed class EditorUtility
    {
        internal EditorUtility() { }

        public static void SetDirty(UnityEngine.Object target) { }
        public static string SaveFilePanelInProject(string title, string defaultName, string extension, string message) { return ""; }
    }

    public class Undo
    {
        internal Undo() { }

        public static void RecordObject(UnityEngine.Object objectToUndo, string name) { }
    }

    public sealed class AssetDatabase
    {
        internal AssetDatabase() { }

        public static void CreateAsset(UnityEngine.Object asset, string path) { }
        public static void SaveAssets() { }
    }

    public struct EditorCurveBinding
    {
        public string path;
        public string propertyName;

        public static EditorCurveBinding FloatCurve(string inPath, Type inType, string inPropertyName)
        {
            return new EditorCurveBinding { path = inPath, propertyName = inPropertyName };
        }
    }

    public class AnimationUtility
    {
        internal static readonly List<KeyValuePair<EditorCurveBinding, AnimationCurve>> Written =
            new List<KeyValuePair<EditorCurveBinding, AnimationCurve>>();

        internal AnimationUtility() { }

        public static void SetEditorCurve(AnimationClip clip, EditorCurveBinding binding, AnimationCurve curve)
        {
            Written.Add(new KeyValuePair<EditorCurveBinding, AnimationCurve>(binding, curve));
        }
    }
}
