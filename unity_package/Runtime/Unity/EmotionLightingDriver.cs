using FaceBridge.Core;
using UnityEngine;
using UnityEngine.Rendering;

namespace FaceBridge
{
    /// <summary>
    /// Follows the bridge's light cue (RGB + intensity + transition time, chosen by the emotion preset):
    /// RenderSettings.ambientLight (Built-in and URP; HDRP ignores it, so there only Lights are driven) and/or a set
    /// of Lights fade smoothly to each new cue.
    /// </summary>
    [AddComponentMenu("FaceBridge/Emotion Lighting Driver")]
    public sealed class EmotionLightingDriver : MonoBehaviour
    {
        [Tooltip("The receiver to follow (found on this object or in the scene when empty).")]
        [SerializeField] FaceBridgeReceiver _receiver;

        [Tooltip("Drive RenderSettings.ambientLight (Built-in/URP, Environment Lighting Source = Color). HDRP ignores it: use Lights there.")]
        [SerializeField] bool _driveAmbient = true;

        [Tooltip("Ambient colour = cue colour x cue intensity x this.")]
        [SerializeField] float _ambientScale = 1f;

        [Tooltip("Lights whose colour and intensity follow the cue.")]
        [SerializeField] Light[] _lights = new Light[0];

        [Tooltip("Light intensity = cue intensity x this.")]
        [SerializeField] float _lightIntensityScale = 1f;

        [Tooltip("Transition used when the cue gives none (seconds).")]
        [SerializeField] float _minimumTransition = 0.1f;

        [Tooltip("Cue used before the first frame and while the bridge is disconnected.")]
        [SerializeField] Color _idleColor = new Color(1f, 1f, 1f, 1f);
        [SerializeField] float _idleIntensity = 0.5f;

        [Tooltip("Return to the idle cue when the receiver disconnects.")]
        [SerializeField] bool _idleWhenDisconnected = true;

        LightTransition _transition;
        int _lastVersion = -1;
        bool _warnedHdrp;

        /// <summary>
        /// False under HDRP, whose sky and Volume system ignore RenderSettings.ambientLight: the driver then leaves
        /// ambient alone and drives only its Lights (a one-time warning says so).
        /// </summary>
        public static bool AmbientSupported
        {
            get
            {
                var pipeline = GraphicsSettings.currentRenderPipeline;
                return pipeline == null || pipeline.GetType().Name.IndexOf("HDRenderPipeline", System.StringComparison.Ordinal) < 0;
            }
        }

        /// <summary>The light right now (after the transition step of this frame).</summary>
        public LightCue Current { get { return Transition.Current; } }

        public FaceBridgeReceiver Receiver { get { return _receiver; } set { _receiver = value; } }
        public bool DriveAmbient { get { return _driveAmbient; } set { _driveAmbient = value; } }
        public Light[] Lights { get { return _lights; } set { _lights = value ?? new Light[0]; } }

        LightTransition Transition
        {
            get
            {
                if (_transition == null) _transition = new LightTransition(IdleCue(0f));
                return _transition;
            }
        }

        LightCue IdleCue(float transition)
        {
            return new LightCue(_idleColor.r, _idleColor.g, _idleColor.b, _idleIntensity, transition);
        }

        void Awake()
        {
            if (_receiver == null) _receiver = FaceBridgeReceiver.FindFor(this);
        }

        void LateUpdate()
        {
            if (_receiver == null) return;
            bool connected = _receiver.IsConnected;
            if (_receiver.HasFrame && connected && _receiver.FrameVersion != _lastVersion)
            {
                _lastVersion = _receiver.FrameVersion;
                SetCue(_receiver.Frame);
            }
            else if (!connected && _idleWhenDisconnected)
            {
                Transition.SetTarget(IdleCue(1f));
            }
            Step(Time.deltaTime);
        }

        /// <summary>Take the frame's light cue as the new target (frames without a cue keep the current one).</summary>
        public void SetCue(FaceFrame frame)
        {
            if (!frame.HasLight) return;
            var cue = frame.Light;
            if (cue.TransitionSeconds < _minimumTransition) cue.TransitionSeconds = _minimumTransition;
            Transition.SetTarget(cue);
        }

        /// <summary>Advance the transition and write the lights (LateUpdate calls this).</summary>
        public void Step(float deltaSeconds)
        {
            var c = Transition.Step(deltaSeconds);
            var color = new Color(c.R, c.G, c.B, 1f);
            if (_driveAmbient && !AmbientSupported)
            {
                if (!_warnedHdrp)
                    Debug.LogWarning("EmotionLightingDriver: HDRP ignores RenderSettings.ambientLight, so only the Lights listed "
                        + "here follow the mood. Add a Light (e.g. a fill light) to Lights, or turn Drive Ambient off.", this);
                _warnedHdrp = true;
            }
            else if (_driveAmbient)
            {
                float k = c.Intensity * _ambientScale;
                RenderSettings.ambientLight = new Color(c.R * k, c.G * k, c.B * k, 1f);
            }
            for (int i = 0; i < _lights.Length; i++)
            {
                var light = _lights[i];
                if (light == null) continue;
                light.color = color;
                light.intensity = c.Intensity * _lightIntensityScale;
            }
        }
    }
}
