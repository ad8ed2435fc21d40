#if FACEBRIDGE_UNIVRM0
using System;
using System.Collections.Generic;
using FaceBridge.Core;
using UnityEngine;
using VRM;

namespace FaceBridge
{
    /// <summary>
    /// Drives a VRM 0.x avatar through UniVRM's VRMBlendShapeProxy (AccumulateValue + Apply), matching its clips by
    /// name (Joy/A/Blink_L presets, custom perfect-sync clips such as "jawOpen"); clips the bridge does not send by
    /// name come from the remap preset (ARKit -> VRM by default). Compiled only when UniVRM 0.x (com.vrmc.univrm)
    /// is installed.
    /// </summary>
    [AddComponentMenu("FaceBridge/VRM 0.x BlendShape Proxy Driver")]
    [DefaultExecutionOrder(10900)]
    public sealed class VrmBlendShapeProxyDriver : MonoBehaviour
    {
        [Tooltip("The receiver to follow (found on this object or in the scene when empty).")]
        [SerializeField] FaceBridgeReceiver _receiver;

        [Tooltip("The avatar's proxy (found on this object when empty).")]
        [SerializeField] VRMBlendShapeProxy _proxy;

        [Tooltip("Clips the bridge does not send by name are computed by this preset.")]
        [SerializeField] RemapPresetKind _remapPreset = RemapPresetKind.VrmExpressions;

        [Tooltip("Scales every weight.")]
        [SerializeField] float _globalMultiplier = 1f;

        [Tooltip("What the face does when the bridge stops sending.")]
        [SerializeField] DisconnectBehaviour _onDisconnect = DisconnectBehaviour.EaseToNeutral;

        [Tooltip("Seconds to ease to neutral after a disconnect.")]
        [SerializeField] float _neutralEaseSeconds = 0.5f;

        readonly ExpressionWeights _weights = new ExpressionWeights();
        readonly List<string> _names = new List<string>();
        readonly List<BlendShapeKey> _keys = new List<BlendShapeKey>();
        int _clipCount = -1;

        public FaceBridgeReceiver Receiver { get { return _receiver; } set { _receiver = value; } }
        public VRMBlendShapeProxy Proxy { get { return _proxy; } set { _proxy = value; _clipCount = -1; } }

        /// <summary>Clips currently driven.</summary>
        public int MappedCount { get { return _weights.MappedCount; } }

        void Awake()
        {
            if (_receiver == null) _receiver = FaceBridgeReceiver.FindFor(this);
            if (_proxy == null) _proxy = GetComponent<VRMBlendShapeProxy>();
            Configure();
        }

        void OnValidate() { Configure(); }

        void Configure()
        {
            _weights.Preset = _remapPreset;
            _weights.GlobalMultiplier = _globalMultiplier;
            _weights.OnDisconnect = _onDisconnect;
            _weights.NeutralEaseSeconds = Math.Max(0f, _neutralEaseSeconds);
            _weights.Invalidate();
        }

        void LateUpdate()
        {
            if (_receiver != null && _receiver.HasFrame) Apply(_receiver.Frame, Time.deltaTime, _receiver.IsConnected);
        }

        /// <summary>Accumulate and apply the clip weights for one frame (LateUpdate calls this).</summary>
        public void Apply(FaceFrame frame, float deltaSeconds, bool connected)
        {
            if (_proxy == null || _proxy.BlendShapeAvatar == null) return;
            var clips = _proxy.BlendShapeAvatar.Clips;
            if (clips.Count != _clipCount)
            {
                _clipCount = clips.Count;
                _keys.Clear();
                _names.Clear();
                foreach (var clip in clips)
                {
                    if (clip == null) continue;
                    var key = BlendShapeKey.CreateFromClip(clip);
                    _keys.Add(key);
                    _names.Add(key.Name);
                }
                _weights.Invalidate();
            }
            if (!_weights.Compute(frame, _names, deltaSeconds, connected)) return;
            for (int i = 0; i < _keys.Count; i++)
                if (_weights.IsMapped(i)) _proxy.AccumulateValue(_keys[i], _weights.Weights[i]);
            _proxy.Apply();
        }
    }
}
#endif
