using UnityEditor;
using UnityEngine;

namespace FaceBridge.Editor
{
    /// <summary>Turns a BlendshapeRecording into an AnimationClip asset (editable in the Animation window and on a Timeline).</summary>
    public static class FaceBridgeClipWriter
    {
        /// <summary>A new clip holding one float curve per recorded blendshape.</summary>
        public static AnimationClip ToClip(BlendshapeRecording recording, float frameRate)
        {
            var clip = new AnimationClip { frameRate = frameRate };
            foreach (var c in recording.Curves)
            {
                var binding = EditorCurveBinding.FloatCurve(c.Path, typeof(SkinnedMeshRenderer), c.PropertyName);
                AnimationUtility.SetEditorCurve(clip, binding, c.Curve);
            }
            return clip;
        }

        /// <summary>Save the recording as an .anim asset at a project path such as "Assets/Take1.anim".</summary>
        public static AnimationClip Save(BlendshapeRecording recording, string assetPath, float frameRate)
        {
            var clip = ToClip(recording, frameRate);
            AssetDatabase.CreateAsset(clip, assetPath);
            AssetDatabase.SaveAssets();
            return clip;
        }

        /// <summary>Ask where to save (Assets/...), then save; returns null when the user cancelled.</summary>
        public static AnimationClip SaveWithDialog(BlendshapeRecording recording, float frameRate)
        {
            string path = EditorUtility.SaveFilePanelInProject("Save FaceBridge recording", "FaceBridgeTake", "anim",
                "The clip animates the recorded blendshapes; put it on the avatar's Animator or a Timeline Animation Track.");
            return string.IsNullOrEmpty(path) ? null : Save(recording, path, frameRate);
        }
    }
}
