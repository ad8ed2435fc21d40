// A minimal stand-in for UnityEngine.dll: only the types the FaceBridge package touches, with just enough
// behaviour to run the package's components under Mono + NUnit. NEVER shipped (lives under tests/).
// Unity's lifecycle is imitated where tests depend on it: AddComponent calls Awake and OnEnable,
// DestroyImmediate calls OnDisable and OnDestroy.
using System;
using System.Collections.Generic;
using System.Reflection;

namespace UnityEngine
{
    public class Object
    {
        string _name = "";

        /// <summary>Like Unity: a component's name is its GameObject's name.</summary>
        public virtual string name { get { return _name; } set { _name = value; } }

        static void Call(object target, string method)
        {
            var m = target.GetType().GetMethod(method, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
            if (m != null && m.GetParameters().Length == 0) m.Invoke(target, null);
        }

        internal static void SendMessage(object target, string method) { Call(target, method); }

        public static void DestroyImmediate(Object obj)
        {
            var go = obj as GameObject;
            if (go != null)
            {
                foreach (var c in go.Components.ToArray()) DestroyImmediate(c);
                GameObject.All.Remove(go);
                return;
            }
            var behaviour = obj as Behaviour;
            if (behaviour != null && behaviour.enabled && behaviour.gameObject.activeSelf) Call(obj, "OnDisable");
            if (obj is MonoBehaviour) Call(obj, "OnDestroy");
            var component = obj as Component;
            if (component != null) component.gameObject.Components.Remove(component);
        }

        public static void Destroy(Object obj) { DestroyImmediate(obj); }

        public static T FindObjectOfType<T>() where T : Object
        {
            foreach (var go in GameObject.All)
                foreach (var c in go.Components)
                    if (c is T) return (T)(object)c;
            return null;
        }
    }

    public class Component : Object
    {
        public GameObject gameObject { get; internal set; }

        public override string name
        {
            get { return gameObject != null ? gameObject.name : base.name; }
            set { if (gameObject != null) gameObject.name = value; else base.name = value; }
        }
        public T GetComponent<T>() where T : class { return gameObject.GetComponent<T>(); }
        public T GetComponentInChildren<T>() where T : class { return gameObject.GetComponent<T>(); }
        public T[] GetComponentsInChildren<T>() where T : class { return gameObject.GetComponents<T>(); }
    }

    public class Behaviour : Component
    {
        bool _enabled = true;
        internal bool Awoken;

        public bool enabled
        {
            get { return _enabled; }
            set
            {
                if (value == _enabled) return;
                _enabled = value;
                if (gameObject == null || gameObject.activeSelf) SendMessage(this, value ? "OnEnable" : "OnDisable");
            }
        }

        public bool isActiveAndEnabled { get { return _enabled; } }
    }

    public class MonoBehaviour : Behaviour { }

    public sealed class GameObject : Object
    {
        internal static readonly List<GameObject> All = new List<GameObject>();
        internal readonly List<Component> Components = new List<Component>();

        public bool activeSelf { get; private set; } = true;

        /// <summary>Like Unity: components added while inactive get Awake/OnEnable only on activation.</summary>
        public void SetActive(bool value)
        {
            if (value == activeSelf) return;
            activeSelf = value;
            foreach (var c in Components.ToArray())
            {
                var b = c as Behaviour;
                if (b == null || !b.enabled) continue;
                if (value && !b.Awoken) { b.Awoken = true; SendMessage(c, "Awake"); }
                SendMessage(c, value ? "OnEnable" : "OnDisable");
            }
        }

        public GameObject() : this("GameObject") { }
        public GameObject(string name) { this.name = name; All.Add(this); }

        public T AddComponent<T>() where T : Component
        {
            var c = (T)Activator.CreateInstance(typeof(T), true);
            c.gameObject = this;
            Components.Add(c);
            if (!activeSelf) return c;
            var b = c as Behaviour;
            if (b != null) b.Awoken = true;
            SendMessage(c, "Awake");
            if (b != null) SendMessage(c, "OnEnable");
            return c;
        }

        public T GetComponent<T>() where T : class
        {
            foreach (var c in Components)
                if (c is T) return c as T;
            return null;
        }

        public T[] GetComponents<T>() where T : class
        {
            var list = new List<T>();
            foreach (var c in Components)
                if (c is T) list.Add(c as T);
            return list.ToArray();
        }
    }

    public sealed class Mesh : Object
    {
        readonly List<string> _shapes = new List<string>();

        public Vector3[] vertices = new Vector3[0];

        public void AddBlendShapeFrame(string shapeName, float frameWeight, Vector3[] deltaVertices, Vector3[] deltaNormals,
                                       Vector3[] deltaTangents)
        {
            if (deltaVertices == null || deltaVertices.Length != vertices.Length)
                throw new ArgumentException("Mesh.AddBlendShapeFrame: deltaVertices must match the vertex count");
            if (_shapes.Contains(shapeName)) throw new ArgumentException("Mesh.AddBlendShapeFrame: duplicate name " + shapeName);
            _shapes.Add(shapeName);
        }

        public int blendShapeCount { get { return _shapes.Count; } }

        public string GetBlendShapeName(int index)
        {
            if (index < 0 || index >= _shapes.Count) throw new ArgumentOutOfRangeException("index");
            return _shapes[index];
        }

        public int GetBlendShapeIndex(string shapeName) { return _shapes.IndexOf(shapeName); }
    }

    public class Renderer : Component
    {
        public bool enabled = true;
    }

    public sealed class SkinnedMeshRenderer : Renderer
    {
        readonly Dictionary<int, float> _weights = new Dictionary<int, float>();
        public Mesh sharedMesh;
        /// <summary>Stub only: how many SetBlendShapeWeight calls happened.</summary>
        public int SetWeightCalls;

        public void SetBlendShapeWeight(int index, float value)
        {
            if (sharedMesh == null || index < 0 || index >= sharedMesh.blendShapeCount)
                throw new ArgumentOutOfRangeException("index", "blendshape index out of range");
            _weights[index] = value;
            SetWeightCalls++;
        }

        public float GetBlendShapeWeight(int index)
        {
            float w;
            return _weights.TryGetValue(index, out w) ? w : 0f;
        }
    }

    public enum LightType { Spot, Directional, Point }

    public sealed class Light : Behaviour
    {
        public Color color = Color.white;
        public float intensity = 1f;
        public LightType type = LightType.Directional;
    }

    public static class RenderSettings
    {
        public static Color ambientLight = new Color(0.2f, 0.2f, 0.2f, 1f);
        public static float ambientIntensity = 1f;
    }

    public struct Vector3
    {
        public float x, y, z;
        public Vector3(float x, float y, float z) { this.x = x; this.y = y; this.z = z; }
    }

    public struct Color
    {
        public float r, g, b, a;

        public Color(float r, float g, float b, float a = 1f) { this.r = r; this.g = g; this.b = b; this.a = a; }

        public static Color white { get { return new Color(1f, 1f, 1f, 1f); } }
        public static Color black { get { return new Color(0f, 0f, 0f, 1f); } }
        public static Color operator *(Color c, float f) { return new Color(c.r * f, c.g * f, c.b * f, c.a * f); }
        public override string ToString() { return string.Format("RGBA({0:F3}, {1:F3}, {2:F3}, {3:F3})", r, g, b, a); }
    }

    public static class Mathf
    {
        public static float Clamp01(float v) { return v < 0f ? 0f : v > 1f ? 1f : v; }
        public static float Clamp(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }
        public static float Abs(float v) { return Math.Abs(v); }
        public static float Max(float a, float b) { return Math.Max(a, b); }
    }

    public static class Time
    {
        public static float deltaTime = 1f / 60f;
        public static float unscaledDeltaTime = 1f / 60f;
        public static float time;
        public static float realtimeSinceStartup;
    }

    public static class Application
    {
        public static bool isPlaying = true;
    }

    public static class Debug
    {
        public static readonly List<string> Messages = new List<string>(); // stub only: what was logged
        public static void Log(object message) { Messages.Add(message == null ? "null" : message.ToString()); }
        public static void Log(object message, Object context) { Log(message); }
        public static void LogWarning(object message) { Log(message); }
        public static void LogWarning(object message, Object context) { Log(message); }
        public static void LogError(object message) { Log(message); }
        public static void LogError(object message, Object context) { Log(message); }
    }

    [AttributeUsage(AttributeTargets.Field)] public sealed class SerializeField : Attribute { }
    [AttributeUsage(AttributeTargets.Field)] public sealed class HideInInspector : Attribute { }

    [AttributeUsage(AttributeTargets.Field)]
    public sealed class TooltipAttribute : Attribute { public TooltipAttribute(string tooltip) { } }

    [AttributeUsage(AttributeTargets.Field)]
    public sealed class HeaderAttribute : Attribute { public HeaderAttribute(string header) { } }

    [AttributeUsage(AttributeTargets.Field)]
    public sealed class RangeAttribute : Attribute { public RangeAttribute(float min, float max) { } }

    [AttributeUsage(AttributeTargets.Field)]
    public sealed class MinAttribute : Attribute { public MinAttribute(float min) { } }

    [AttributeUsage(AttributeTargets.Class)]
    public sealed class AddComponentMenu : Attribute { public AddComponentMenu(string menuName) { } }

    [AttributeUsage(AttributeTargets.Class)]
    public sealed class DisallowMultipleComponent : Attribute { }

    [AttributeUsage(AttributeTargets.Class)]
    public sealed class HelpURLAttribute : Attribute { public HelpURLAttribute(string url) { } }

    [AttributeUsage(AttributeTargets.Class)]
    public sealed class DefaultExecutionOrder : Attribute { public DefaultExecutionOrder(int order) { } }

    public class ScriptableObject : Object { }

    public struct Rect
    {
        public float x, y, width, height;
        public Rect(float x, float y, float width, float height) { this.x = x; this.y = y; this.width = width; this.height = height; }
    }

    public static class GUILayout
    {
        public static bool Button(string text) { return false; }
        public static void Label(string text) { }
    }

    public sealed class GUIStyle
    {
        public int fontSize;
        public GUIStyle() { }
        public GUIStyle(GUIStyle other) { fontSize = other.fontSize; }
    }

    public sealed class GUISkin
    {
        public GUIStyle label = new GUIStyle();
    }

    public static class GUI
    {
        public static GUISkin skin = new GUISkin();
        public static void Label(Rect position, string text, GUIStyle style) { }
    }

    public static class GUILayoutUtility
    {
        public static Rect GetRect(float minWidth, float maxWidth, float minHeight, float maxHeight) { return new Rect(); }
    }
}

namespace UnityEngine.Events
{
    public class UnityEventBase
    {
        protected readonly List<Delegate> Listeners = new List<Delegate>();
        public int GetPersistentEventCount() { return 0; }
    }

    public class UnityEvent : UnityEventBase
    {
        public void AddListener(Action call) { Listeners.Add(call); }
        public void RemoveListener(Action call) { Listeners.Remove(call); }

        public void Invoke()
        {
            foreach (var l in Listeners.ToArray()) ((Action)l)();
        }
    }

    public class UnityEvent<T0> : UnityEventBase
    {
        public void AddListener(Action<T0> call) { Listeners.Add(call); }
        public void RemoveListener(Action<T0> call) { Listeners.Remove(call); }

        public void Invoke(T0 arg)
        {
            foreach (var l in Listeners.ToArray()) ((Action<T0>)l)(arg);
        }
    }
}
