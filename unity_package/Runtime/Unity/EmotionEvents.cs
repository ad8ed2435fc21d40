using System;
using System.Collections.Generic;
using FaceBridge.Core;
using UnityEngine;
using UnityEngine.Events;

namespace FaceBridge
{
    /// <summary>The 8 emotions, in the wire order of the facebridge protocol.</summary>
    public enum Emotion
    {
        Neutral = 0,
        Happiness = 1,
        Surprise = 2,
        Sadness = 3,
        Anger = 4,
        Disgust = 5,
        Fear = 6,
        Contempt = 7,
    }

    /// <summary>UnityEvent with the emotion label (e.g. "happiness").</summary>
    [Serializable]
    public sealed class EmotionLabelEvent : UnityEvent<string> { }

    /// <summary>One watched emotion: events fire when its probability crosses the threshold and stays for the hold.</summary>
    [Serializable]
    public sealed class EmotionTrigger
    {
        public Emotion emotion = Emotion.Happiness;
        [Range(0f, 1f)] public float threshold = 0.6f;
        [Tooltip("Seconds the probability must stay above (to enter) or below (to exit) before the event fires.")]
        public float minimumHoldSeconds = 0.3f;
        [Range(0f, 0.5f)] public float hysteresis = 0.1f;
        public UnityEvent onEnter = new UnityEvent();
        public UnityEvent onExit = new UnityEvent();

        [NonSerialized] internal EmotionStateTracker Tracker;

        /// <summary>True while this emotion is active.</summary>
        public bool IsActive { get { return Tracker != null && Tracker.Active; } }
    }

    /// <summary>
    /// Turns the bridge's emotion probabilities into UnityEvents: enter/exit per watched emotion (threshold,
    /// hysteresis, minimum hold) and a label-changed event for the bridge's winning label. Events run on the
    /// main thread. When the receiver disconnects every active emotion exits after its hold.
    /// </summary>
    [AddComponentMenu("FaceBridge/Emotion Events")]
    public sealed class EmotionEvents : MonoBehaviour
    {
        [Tooltip("The receiver to follow (found on this object or in the scene when empty).")]
        [SerializeField] FaceBridgeReceiver _receiver;

        [SerializeField] List<EmotionTrigger> _triggers = new List<EmotionTrigger>();

        [Tooltip("Fired when the bridge's winning emotion label changes (the bridge applies its own hysteresis).")]
        [SerializeField] EmotionLabelEvent _onLabelChanged = new EmotionLabelEvent();

        static readonly float[] Silence = new float[FaceFrame.EmotionCount];
        int _lastLabel = -1;

        public FaceBridgeReceiver Receiver { get { return _receiver; } set { _receiver = value; } }
        public List<EmotionTrigger> Triggers { get { return _triggers; } }
        public EmotionLabelEvent OnLabelChanged { get { return _onLabelChanged; } }

        /// <summary>The winning label last reported (null before the first frame).</summary>
        public string CurrentLabel { get { return _lastLabel < 0 ? null : FaceFrame.EmotionLabels[_lastLabel]; } }

        void Awake()
        {
            if (_receiver == null) _receiver = FaceBridgeReceiver.FindFor(this);
        }

        void Update()
        {
            if (_receiver == null) return;
            if (_receiver.HasFrame && _receiver.IsConnected) Tick(_receiver.Frame, Time.deltaTime);
            else Tick(null, Time.deltaTime);
        }

        /// <summary>Advance by one rendered frame with the latest frame (null = no data: probabilities count as 0).</summary>
        public void Tick(FaceFrame frame, float deltaSeconds)
        {
            float[] probabilities = frame != null ? frame.EmotionProbabilities : Silence;
            for (int i = 0; i < _triggers.Count; i++)
            {
                var trigger = _triggers[i];
                if (trigger == null) continue;
                if (trigger.Tracker == null) trigger.Tracker = new EmotionStateTracker();
                trigger.Tracker.Threshold = trigger.threshold;
                trigger.Tracker.Hysteresis = trigger.hysteresis;
                trigger.Tracker.MinHoldSeconds = trigger.minimumHoldSeconds;
                int index = (int)trigger.emotion;
                if (index < 0 || index >= FaceFrame.EmotionCount) continue;
                int change = trigger.Tracker.Update(probabilities[index], deltaSeconds);
                if (change > 0) trigger.onEnter.Invoke();
                else if (change < 0) trigger.onExit.Invoke();
            }
            if (frame != null && frame.EmotionIndex != _lastLabel)
            {
                _lastLabel = frame.EmotionIndex;
                _onLabelChanged.Invoke(frame.EmotionLabel);
            }
        }
    }
}
