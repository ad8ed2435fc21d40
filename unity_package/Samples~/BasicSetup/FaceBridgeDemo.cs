using FaceBridge;
using UnityEngine;

/// <summary>
/// The sample's bootstrap: makes sure this object has a receiver, emotion lighting (ambient + the scene's
/// directional light) and emotion events, logs what happens and shows the connection state on screen.
/// Drag your avatar's face SkinnedMeshRenderer(s) into "Face Meshes" to see it move.
/// </summary>
public sealed class FaceBridgeDemo : MonoBehaviour
{
    [Tooltip("Your avatar's face meshes (optional). A BlendshapeDriver is added for them.")]
    [SerializeField] SkinnedMeshRenderer[] _faceMeshes = new SkinnedMeshRenderer[0];

    [Tooltip("Light that follows the emotion cue (optional).")]
    [SerializeField] Light _keyLight;

    FaceBridgeReceiver _receiver;
    GUIStyle _style;

    void Awake()
    {
        _receiver = GetOrAdd<FaceBridgeReceiver>();

        var lighting = GetOrAdd<EmotionLightingDriver>();
        lighting.Receiver = _receiver;
        if (_keyLight != null) lighting.Lights = new[] { _keyLight };

        var events = GetOrAdd<EmotionEvents>();
        events.Receiver = _receiver;
        events.OnLabelChanged.AddListener(label => Debug.Log("FaceBridge demo: emotion is now " + label));
        var happy = new EmotionTrigger { emotion = Emotion.Happiness, threshold = 0.6f, minimumHoldSeconds = 0.3f };
        happy.onEnter.AddListener(() => Debug.Log("FaceBridge demo: happiness entered"));
        happy.onExit.AddListener(() => Debug.Log("FaceBridge demo: happiness exited"));
        events.Triggers.Add(happy);

        if (_faceMeshes.Length > 0)
        {
            var driver = GetOrAdd<BlendshapeDriver>();
            driver.Receiver = _receiver;
            driver.Renderers = _faceMeshes;
        }
    }

    // Not "GetComponent() ?? AddComponent()": in the Editor a missing component is a fake-null object that ?? misses.
    T GetOrAdd<T>() where T : Component
    {
        var existing = GetComponent<T>();
        return existing != null ? existing : gameObject.AddComponent<T>();
    }

    void OnGUI()
    {
        if (_receiver == null) return;
        if (_style == null) _style = new GUIStyle(GUI.skin.label) { fontSize = 16 };
        string text = "FaceBridge: " + _receiver.StatusText;
        if (_receiver.HasFrame)
            text += "\nemotion: " + _receiver.Frame.EmotionLabel + "   tracking: " + _receiver.Frame.Flags;
        GUI.Label(new Rect(10, 10, 900, 60), text, _style);
    }
}
