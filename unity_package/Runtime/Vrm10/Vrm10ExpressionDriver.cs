#if FACEBRIDGE_UNIVRM10
using System;
using System.Collections.Generic;
using FaceBridge.Core;
using UniVRM10;
using UnityEngine;

namespace FaceBridge
{
    /// <summary>
    /// Drives a VRM 1.0 avatar through UniVRM's expression system (Vrm10Instance.Runtime.Expression.SetWeight), so
    /// expressions keep their morph, material and UV bindings and UniVRM's blink/lip/look-at overrides. Expressions
    /// are matched by name (custom perfect-sync expressions such as "jawOpen", presets "happy"/"aa"/"blinkLeft",
    /// VRM 0.x aliases); presets the bridge does not send by name come from the remap preset (ARKit -> VRM by
    /// default: blinks, visemes, look directions, and emotions from the emotion probabilities).
    /// Compiled only when UniVRM 1.0 (com.vrmc.vrm) is installed.
    /// </summary>
    [AddComponentMenu("FaceBridge/VRM 1.0 Expression Driver")]
    [DefaultExecutionOrder(10900)] // set weights before Vrm10Instance (11000) applies them in its LateUpdate
    public sealed class Vrm10ExpressionDriver : MonoBehaviour
    {
        [Tooltip("The receiver to follow (found on this object or in the scene when empty).")]
        [SerializeField] FaceBridgeReceiver _receiver;

        [Tooltip("The avatar (found on this object when empty).")]
        [SerializeField] Vrm10Instance _vrm;

        [Tooltip("Expressions the bridge does not send by name are computed by this preset.")]
        [SerializeField] RemapPresetKind _remapPreset = RemapPresetKind.VrmExpressions;

        [Tooltip("Scales every weight.")]
        [SerializeField] float _globalMultiplier = 1f;

        [Tooltip("What the face does when the bridge stops sending.")]
        [SerializeField] DisconnectBehaviour _onDisconnect = DisconnectBehaviour.EaseToNeutral;

        [Tooltip("Seconds to ease to neutral after a disconnect.")]
        [SerializeField] float _neutralEaseSeconds = 0.5f;

        [SerializeField] List<ShapeAlias> _aliases = new List<ShapeAlias>();

        readonly ExpressionWeights _weights = new ExpressionWeights();
        readonly List<string> _names = new List<string>();
        ExpressionKey[] _keys = new ExpressionKey[0];
        Vrm10RuntimeExpression _expression;

        public FaceBridgeReceiver Receiver { get { return _receiver; } set { _receiver = value; } }
        public Vrm10Instance Vrm { get { return _vrm; } set { _vrm = value; _expression = null; } }
        public RemapPresetKind RemapPreset { get { return _remapPreset; } set { _remapPreset = value; Configure(); } }

        /// <summary>Expressions currently driven.</summary>
        public int MappedCount { get { return _weights.MappedCount; } }

        void Awake()
        {
            if (_receiver == null) _receiver = FaceBridgeReceiver.FindFor(this);
            if (_vrm == null) _vrm = GetComponent<Vrm10Instance>();
            Configure();
        }

        void OnValidate() { Configure(); }

        void Configure()
        {
            _weights.Preset = _remapPreset;
            _weights.GlobalMultiplier = _globalMultiplier;
            _weights.OnDisconnect = _onDisconnect;
            _weights.NeutralEaseSeconds = Math.Max(0f, _neutralEaseSeconds);
            var aliases = new List<KeyValuePair<string, string>>();
            foreach (var a in _aliases)
                if (a != null && !string.IsNullOrEmpty(a.incoming)) aliases.Add(new KeyValuePair<string, string>(a.incoming, a.target));
            _weights.Aliases = aliases;
            _weights.Invalidate();
        }

        void LateUpdate()
        {
            if (_receiver != null && _receiver.HasFrame) Apply(_receiver.Frame, Time.deltaTime, _receiver.IsConnected);
        }

        /// <summary>Set the expression weights for one frame (LateUpdate calls this).</summary>
        public void Apply(FaceFrame frame, float deltaSeconds, bool connected)
        {
            if (_vrm == null) return;
            var expression = _vrm.Runtime.Expression;
            if (!ReferenceEquals(expression, _expression) || expression.ExpressionKeys.Count != _keys.Length)
            {
                _expression = expression;
                _keys = new ExpressionKey[expression.ExpressionKeys.Count];
                _names.Clear();
                for (int i = 0; i < _keys.Length; i++)
                {
                    _keys[i] = expression.ExpressionKeys[i];
                    _names.Add(_keys[i].Name);
                }
                _weights.Invalidate();
            }
            if (!_weights.Compute(frame, _names, deltaSeconds, connected)) return;
            for (int i = 0; i < _keys.Length; i++)
                if (_weights.IsMapped(i)) expression.SetWeight(_keys[i], _weights.Weights[i]);
        }
    }
}
#endif
