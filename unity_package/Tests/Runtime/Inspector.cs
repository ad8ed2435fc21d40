using System;
using System.Reflection;

namespace FaceBridge.Tests
{
    /// <summary>
    /// Test double for the Unity Inspector and player loop: sets a serialized private field the way an Inspector edit
    /// does and then calls the component's OnValidate, or calls a private message such as LateUpdate.
    /// Uses only reflection, so it works the same under Mono + NUnit and in Unity's Test Runner.
    /// </summary>
    public static class Inspector
    {
        const BindingFlags Any = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

        /// <summary>Set <paramref name="field"/> and call OnValidate, like an edit in the Inspector.</summary>
        public static void Set(object component, string field, object value)
        {
            SetWithoutValidate(component, field, value);
            Call(component, "OnValidate");
        }

        /// <summary>Set a serialized field without OnValidate (a script or an undo writing the field directly).</summary>
        public static void SetWithoutValidate(object component, string field, object value)
        {
            var f = component.GetType().GetField(field, Any);
            if (f == null) throw new ArgumentException(component.GetType().Name + " has no field " + field);
            f.SetValue(component, value);
        }

        /// <summary>Read a private field.</summary>
        public static T Get<T>(object component, string field)
        {
            return (T)component.GetType().GetField(field, Any).GetValue(component);
        }

        /// <summary>Call a private, parameterless message method (OnValidate, LateUpdate, Update ...).</summary>
        public static void Call(object component, string method)
        {
            var m = component.GetType().GetMethod(method, Any, null, Type.EmptyTypes, null);
            if (m == null) throw new ArgumentException(component.GetType().Name + " has no method " + method);
            m.Invoke(component, null);
        }
    }
}
