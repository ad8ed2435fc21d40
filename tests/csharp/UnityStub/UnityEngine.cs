// A minimal stand-in for UnityEngine.dll: only the types the FaceBridge package touches, with just enough
// behaviour to run the package's components under Mono + NUnit. NEVER shipped (lives under tests/).
//
// Its PUBLIC surface may only hold members real Unity has: tests/csharp/SurfaceCheck compares every public type and
// member here with tests/csharp/unity-api.txt (read from Unity's scripting reference) and fails the build on anything
// else. Test doubles and helpers belong in the test assemblies; the stub's own plumbing is `internal`.
// Unity's lifecycle is imitated where tests depend on it: AddComponent calls Awake and OnEnable, DestroyImmediate
// calls OnDisable and OnDestroy and makes the object compare equal to null (Unity's "fake null").
using System;
using System.Collections.Generic;
using System.Reflection;
using System.Runtime.CompilerServices;
using UnityEngine.Events;

// Only the stub tests (tests/csharp/StubTests, never part of the package) may drive the stub's plumbing.
[assembly: InternalsVisibleTo("FaceBridge.StubTests")]

namespace UnityEngine
{
    public class Object
    {
        string _name = "";
        internal bool Destroyed;

        internal Object() { }

        public string name
        {
            get
            {
                var c = this as Component;
                return c != null && c.gameObject != null ? c.gameObject.name : _name;
            }
            set
            {
                var c = this as Component;
                if (c != null && c.gameObject != null) c.gameObject.name = value;
                else _name = value;
            }
        }

        internal static void Call(object target, string method)
        {
            var m = target.GetType().GetMethod(method, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
            if (m != null && m.GetParameters().Length == 0) m.Invoke(target, null);
        }

        public static void DestroyImmediate(Object obj)
        {
            if (obj == null) return;
            var go = obj as GameObject;
            if (go != null)
            {
                foreach (var c in go.Components.ToArray()) DestroyImmediate(c);
                GameObject.All.Remove(go);
                go.Destroyed = true;
                return;
            }
            var behaviour = obj as Behaviour;
            if (behaviour != null && behaviour.enabled && behaviour.gameObject.activeSelf) Call(obj, "OnDisable");
            if (obj is MonoBehaviour) Call(obj, "OnDestroy");
            var component = obj as Component;
            if (component != null) component.gameObject.Components.Remove(component);
            obj.Destroyed = true;
        }

        public static void Destroy(Object obj) { DestroyImmediate(obj); }

        public static T FindObjectOfType<T>() where T : Object { return FindAnyObjectByType<T>(); }

        public static T FindAnyObjectByType<T>() where T : Object
        {
            foreach (var go in GameObject.All)
            {
                if (!go.activeSelf) continue;
                foreach (var c in go.Components)
                    if (c is T) return (T)(object)c;
            }
            return null;
        }

        public static bool operator ==(Object a, Object b)
        {
            bool aNull = ReferenceEquals(a, null) || a.Destroyed, bNull = ReferenceEquals(b, null) || b.Destroyed;
            if (aNull || bNull) return aNull && bNull;
            return ReferenceEquals(a, b);
        }

        public static bool operator !=(Object a, Object b) { return !(a == b); }

        public static implicit operator bool(Object exists) { return exists != null; }

        public override bool Equals(object other) { return other is Object && this == (Object)other; }

        public override int GetHashCode() { return base.GetHashCode(); }
    }

    public class Component : Object
    {
        internal Component() { }

        public GameObject gameObject { get; internal set; }
        public Transform transform { get { return gameObject.transform; } }
        public T GetComponent<T>() { return gameObject.GetComponent<T>(); }
        public T GetComponentInChildren<T>() { return gameObject.GetComponentInChildren<T>(); }
        public T[] GetComponentsInChildren<T>() { return gameObject.GetComponentsInChildren<T>(); }
    }

    public class Transform : Component
    {
        internal Transform() { }

        internal Transform ParentTransform;
        internal readonly List<Transform> Children = new List<Transform>();

        public Transform parent
        {
            get { return ParentTransform; }
            set { SetParent(value); }
        }

        public void SetParent(Transform p)
        {
            if (ParentTransform != null) ParentTransform.Children.Remove(this);
            ParentTransform = p;
            if (p != null) p.Children.Add(this);
        }
    }

    public class Behaviour : Component
    {
        bool _enabled = true;
        internal bool Awoken;

        internal Behaviour() { }

        public bool enabled
        {
            get { return _enabled; }
            set
            {
                if (value == _enabled) return;
                _enabled = value;
                if (gameObject == null || gameObject.activeSelf) Call(this, value ? "OnEnable" : "OnDisable");
            }
        }

        public bool isActiveAndEnabled { get { return _enabled && gameObject != null && gameObject.activeSelf; } }
    }

    public class MonoBehaviour : Behaviour
    {
        public MonoBehaviour() { }
    }

    public sealed class GameObject : Object
    {
        internal static readonly List<GameObject> All = new List<GameObject>();
        internal readonly List<Component> Components = new List<Component>();
        readonly Transform _transform;
        bool _active = true;

        public GameObject() : this("GameObject") { }

        public GameObject(string name)
        {
            this.name = name;
            All.Add(this);
            _transform = new Transform { gameObject = this };
            Components.Add(_transform);
        }

        public Transform transform { get { return _transform; } }

        public bool activeSelf { get { return _active; } }

        /// <summary>Like Unity: components added while inactive get Awake/OnEnable only on activation.</summary>
        public void SetActive(bool value)
        {
            if (value == _active) return;
            _active = value;
            foreach (var c in Components.ToArray())
            {
                var b = c as Behaviour;
                if (b == null || !b.enabled) continue;
                if (value && !b.Awoken) { b.Awoken = true; Call(c, "Awake"); }
                Call(c, value ? "OnEnable" : "OnDisable");
            }
        }

        public T AddComponent<T>() where T : Component
        {
            var c = (T)Activator.CreateInstance(typeof(T), true);
            c.gameObject = this;
            Components.Add(c);
            if (!_active) return c;
            var b = c as Behaviour;
            if (b != null) b.Awoken = true;
            Call(c, "Awake");
            if (b != null) Call(c, "OnEnable");
            return c;
        }

        public T GetComponent<T>()
        {
            foreach (var c in Components)
                if (c is T) return (T)(object)c;
            return default(T);
        }

        public T[] GetComponents<T>()
        {
            var list = new List<T>();
            foreach (var c in Components)
                if (c is T) list.Add((T)(object)c);
            return list.ToArray();
        }

        public T GetComponentInChildren<T>()
        {
            var all = GetComponentsInChildren<T>();
            return all.Length > 0 ? all[0] : default(T);
        }

        public T[] GetComponentsInChildren<T>()
        {
            var list = new List<T>(GetComponents<T>());
            foreach (var child in _transform.Children) list.AddRange(child.gameObject.GetComponentsInChildren<T>());
            return list.ToArray();
        }
    }

    public sealed class Mesh : Object
    {
        readonly List<string> _shapes = new List<string>();
        readonly List<float> _frameWeights = new List<float>();
        Vector3[] _vertices = new Vector3[0];

        public Mesh() { }

        public Vector3[] vertices { get { return _vertices; } set { _vertices = value ?? new Vector3[0]; } }

        public void AddBlendShapeFrame(string shapeName, float frameWeight, Vector3[] deltaVertices, Vector3[] deltaNormals,
                                       Vector3[] deltaTangents)
        {
            if (deltaVertices == null || deltaVertices.Length != _vertices.Length)
                throw new ArgumentException("Mesh.AddBlendShapeFrame: deltaVertices must match the vertex count");
            if (_shapes.Contains(shapeName)) throw new ArgumentException("Mesh.AddBlendShapeFrame: duplicate name " + shapeName);
            _shapes.Add(shapeName);
            _frameWeights.Add(frameWeight); // one frame per shape is all the tests need
        }

        public int blendShapeCount { get { return _shapes.Count; } }

        public string GetBlendShapeName(int shapeIndex)
        {
            if (shapeIndex < 0 || shapeIndex >= _shapes.Count) throw new ArgumentOutOfRangeException("shapeIndex");
            return _shapes[shapeIndex];
        }

        public int GetBlendShapeIndex(string blendShapeName) { return _shapes.IndexOf(blendShapeName); }

        public int GetBlendShapeFrameCount(int shapeIndex)
        {
            if (shapeIndex < 0 || shapeIndex >= _shapes.Count) throw new ArgumentOutOfRangeException("shapeIndex");
            return 1;
        }

        public float GetBlendShapeFrameWeight(int shapeIndex, int frameIndex)
        {
            if (shapeIndex < 0 || shapeIndex >= _shapes.Count || frameIndex != 0) throw new ArgumentOutOfRangeException("frameIndex");
            return _frameWeights[shapeIndex];
        }
    }

    public class Renderer : Component
    {
        bool _enabled = true;

        internal Renderer() { }

        public bool enabled { get { return _enabled; } set { _enabled = value; } }
    }

    public class SkinnedMeshRenderer : Renderer
    {
        readonly Dictionary<int, float> _weights = new Dictionary<int, float>();
        Mesh _mesh;

        internal SkinnedMeshRenderer() { }

        public Mesh sharedMesh { get { return _mesh; } set { _mesh = value; } }

        public void SetBlendShapeWeight(int index, float value)
        {
            if (_mesh == null || index < 0 || index >= _mesh.blendShapeCount)
                throw new ArgumentOutOfRangeException("index", "blendshape index out of range");
            _weights[index] = value;
        }

        public float GetBlendShapeWeight(int index)
        {
            float w;
            return _weights.TryGetValue(index, out w) ? w : 0f;
        }
    }

    public enum LightType { Spot = 0, Directional = 1, Point = 2 }

    public sealed class Light : Behaviour
    {
        Color _color = Color.white;
        float _intensity = 1f;
        LightType _type = LightType.Directional;

        internal Light() { }

        public Color color { get { return _color; } set { _color = value; } }
        public float intensity { get { return _intensity; } set { _intensity = value; } }
        public LightType type { get { return _type; } set { _type = value; } }
    }

    public sealed class RenderSettings : Object
    {
        static Color _ambientLight = new Color(0.2f, 0.2f, 0.2f, 1f);
        static float _ambientIntensity = 1f;

        RenderSettings() { }

        public static Color ambientLight { get { return _ambientLight; } set { _ambientLight = value; } }
        public static float ambientIntensity { get { return _ambientIntensity; } set { _ambientIntensity = value; } }
    }

    public struct Vector2
    {
        public float x, y;
        public Vector2(float x, float y) { this.x = x; this.y = y; }
    }

    public struct Vector3
    {
        public float x, y, z;
        public Vector3(float x, float y, float z) { this.x = x; this.y = y; this.z = z; }
    }

    public struct Color
    {
        public float r, g, b, a;

        public Color(float r, float g, float b, float a) { this.r = r; this.g = g; this.b = b; this.a = a; }
        public Color(float r, float g, float b) : this(r, g, b, 1f) { }

        public static Color white { get { return new Color(1f, 1f, 1f, 1f); } }
        public static Color black { get { return new Color(0f, 0f, 0f, 1f); } }
        public static Color operator *(Color a, float b) { return new Color(a.r * b, a.g * b, a.b * b, a.a * b); }
        public override string ToString() { return string.Format("RGBA({0:F3}, {1:F3}, {2:F3}, {3:F3})", r, g, b, a); }
    }

    public struct Mathf
    {
        public static float Clamp01(float value) { return value < 0f ? 0f : value > 1f ? 1f : value; }
        public static float Clamp(float value, float min, float max) { return value < min ? min : value > max ? max : value; }
        public static float Abs(float f) { return Math.Abs(f); }
        public static float Max(float a, float b) { return Math.Max(a, b); }
    }

    public class Time
    {
        internal static float DeltaTime = 1f / 60f;
        internal static float Now;

        internal Time() { }

        public static float deltaTime { get { return DeltaTime; } }
        public static float time { get { return Now; } }
        public static float realtimeSinceStartup { get { return Now; } }
    }

    public enum LogType { Error = 0, Assert = 1, Warning = 2, Log = 3, Exception = 4 }

    public class Application
    {
        internal Application() { }

        public delegate void LogCallback(string condition, string stackTrace, LogType type);

        public static bool isPlaying { get { return true; } }

        public static event UnityAction onBeforeRender;

        public static event LogCallback logMessageReceived;

        internal static void Log(string message, LogType type)
        {
            var handler = logMessageReceived;
            if (handler != null) handler(message, "", type);
        }

        internal static void BeforeRender()
        {
            var handler = onBeforeRender;
            if (handler != null) handler();
        }
    }

    public class Debug
    {
        internal Debug() { }

        public static void Log(object message) { Application.Log(message == null ? "Null" : message.ToString(), LogType.Log); }
        public static void Log(object message, Object context) { Log(message); }
        public static void LogWarning(object message) { Application.Log(message == null ? "Null" : message.ToString(), LogType.Warning); }
        public static void LogWarning(object message, Object context) { LogWarning(message); }
        public static void LogError(object message) { Application.Log(message == null ? "Null" : message.ToString(), LogType.Error); }
        public static void LogError(object message, Object context) { LogError(message); }
        public static void LogException(Exception exception) { Application.Log(exception.ToString(), LogType.Exception); }
        public static void LogException(Exception exception, Object context) { LogException(exception); }
    }

    public struct Keyframe
    {
        float _time, _value;

        public Keyframe(float time, float value) { _time = time; _value = value; }

        public float time { get { return _time; } set { _time = value; } }
        public float value { get { return _value; } set { _value = value; } }
    }

    public class AnimationCurve
    {
        readonly List<Keyframe> _keys = new List<Keyframe>();

        public AnimationCurve() { }

        public int AddKey(float time, float value)
        {
            int at = 0;
            while (at < _keys.Count && _keys[at].time < time) at++;
            if (at < _keys.Count && _keys[at].time == time) return -1; // Unity: a key already exists at that time
            _keys.Insert(at, new Keyframe(time, value));
            return at;
        }

        public Keyframe[] keys { get { return _keys.ToArray(); } set { _keys.Clear(); _keys.AddRange(value); } }
        public int length { get { return _keys.Count; } }
        public Keyframe this[int index] { get { return _keys[index]; } }
    }

    public class Motion : Object
    {
        internal Motion() { }
    }

    public sealed class AnimationClip : Motion
    {
        float _frameRate = 60f;

        public AnimationClip() { }

        public float frameRate { get { return _frameRate; } set { _frameRate = value; } }
    }

    [AttributeUsage(AttributeTargets.Field)] public sealed class SerializeField : Attribute { public SerializeField() { } }
    [AttributeUsage(AttributeTargets.Field)] public sealed class HideInInspector : Attribute { public HideInInspector() { } }

    public abstract class PropertyAttribute : Attribute
    {
        protected PropertyAttribute() { }
    }

    [AttributeUsage(AttributeTargets.Field)]
    public class TooltipAttribute : PropertyAttribute { public TooltipAttribute(string tooltip) { } }

    [AttributeUsage(AttributeTargets.Field)]
    public class HeaderAttribute : PropertyAttribute { public HeaderAttribute(string header) { } }

    [AttributeUsage(AttributeTargets.Field)]
    public sealed class RangeAttribute : PropertyAttribute { public RangeAttribute(float min, float max) { } }

    [AttributeUsage(AttributeTargets.Field)]
    public sealed class MinAttribute : PropertyAttribute { public MinAttribute(float min) { } }

    [AttributeUsage(AttributeTargets.Class)]
    public sealed class AddComponentMenu : Attribute { public AddComponentMenu(string menuName) { } }

    [AttributeUsage(AttributeTargets.Class)]
    public sealed class DisallowMultipleComponent : Attribute { public DisallowMultipleComponent() { } }

    [AttributeUsage(AttributeTargets.Class)]
    public sealed class HelpURLAttribute : Attribute { public HelpURLAttribute(string url) { } }

    [AttributeUsage(AttributeTargets.Class)]
    public class DefaultExecutionOrder : Attribute { public DefaultExecutionOrder(int order) { } }

    [AttributeUsage(AttributeTargets.Class)]
    public sealed class CreateAssetMenuAttribute : Attribute
    {
        public CreateAssetMenuAttribute() { }
        public string fileName { get; set; }
        public string menuName { get; set; }
        public int order { get; set; }
    }

    public class ScriptableObject : Object
    {
        public ScriptableObject() { }

        public static T CreateInstance<T>() where T : ScriptableObject
        {
            var o = (T)Activator.CreateInstance(typeof(T), true);
            Call(o, "Awake");
            Call(o, "OnEnable");
            return o;
        }
    }

    public struct Rect
    {
        float _x, _y, _width, _height;

        public Rect(float x, float y, float width, float height) { _x = x; _y = y; _width = width; _height = height; }

        public float x { get { return _x; } set { _x = value; } }
        public float y { get { return _y; } set { _y = value; } }
        public float width { get { return _width; } set { _width = value; } }
        public float height { get { return _height; } set { _height = value; } }
    }

    public sealed class GUILayoutOption
    {
        internal GUILayoutOption() { }
    }

    public class GUILayout
    {
        internal GUILayout() { }

        public static bool Button(string text, params GUILayoutOption[] options) { return false; }
        public static void Label(string text, params GUILayoutOption[] options) { }
    }

    public sealed class GUIStyle
    {
        public GUIStyle() { }
        public GUIStyle(GUIStyle other) { fontSize = other.fontSize; }
        public int fontSize { get; set; }
    }

    public sealed class GUISkin : ScriptableObject
    {
        readonly GUIStyle _label = new GUIStyle();

        internal GUISkin() { }

        public GUIStyle label { get { return _label; } set { } }
    }

    public class GUI
    {
        static readonly GUISkin Skin = new GUISkin();

        internal GUI() { }

        public static GUISkin skin { get { return Skin; } set { } }
        public static void Label(Rect position, string text, GUIStyle style) { }
    }

    public class GUILayoutUtility
    {
        internal GUILayoutUtility() { }

        public static Rect GetRect(float minWidth, float maxWidth, float minHeight, float maxHeight) { return new Rect(); }
    }
}

namespace UnityEngine.Rendering
{
    public abstract class RenderPipelineAsset : ScriptableObject
    {
        protected RenderPipelineAsset() { }
    }

    public sealed class GraphicsSettings : Object
    {
        internal static RenderPipelineAsset Current;

        GraphicsSettings() { }

        public static RenderPipelineAsset currentRenderPipeline { get { return Current; } }
    }
}

namespace UnityEngine.Events
{
    public delegate void UnityAction();

    public delegate void UnityAction<T0>(T0 arg0);

    public abstract class UnityEventBase
    {
        internal readonly List<Delegate> Listeners = new List<Delegate>();

        protected UnityEventBase() { }

        public int GetPersistentEventCount() { return 0; }
    }

    public class UnityEvent : UnityEventBase
    {
        public UnityEvent() { }

        public void AddListener(UnityAction call) { Listeners.Add(call); }
        public void RemoveListener(UnityAction call) { Listeners.Remove(call); }

        public void Invoke()
        {
            foreach (var l in Listeners.ToArray()) ((UnityAction)l)();
        }
    }

    public class UnityEvent<T0> : UnityEventBase
    {
        public UnityEvent() { }

        public void AddListener(UnityAction<T0> call) { Listeners.Add(call); }
        public void RemoveListener(UnityAction<T0> call) { Listeners.Remove(call); }

        public void Invoke(T0 arg0)
        {
            foreach (var l in Listeners.ToArray()) ((UnityAction<T0>)l)(arg0);
        }
    }
}
