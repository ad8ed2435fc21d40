// Stub-surface check: every public type and member a stub assembly declares must be listed in an API list that was
// read from the real product's reference (tests/csharp/unity-api.txt for UnityEngine/UnityEditor, univrm-api.txt for
// UniVRM). A stub member the real API lacks would let package code compile here and fail in a real Editor, so the
// C# build fails on it (tests/csharp/run.sh runs this before compiling the package).
//
//   mono SurfaceCheck.exe LIST.txt STUB.dll [STUB.dll ...]      exit 0 when every stub member is listed
//   mono SurfaceCheck.exe --dump STUB.dll ...                   print the stub's surface in the list format
//
// Format, one per line ('#' starts a comment): kind letter, colon, signature.
//   T:class UnityEngine.Transform : UnityEngine.Component     (type kind, full name, base type for classes)
//   C:UnityEngine.Color(float,float,float,float)              (public or protected constructor)
//   M:UnityEngine.Mesh.GetBlendShapeFrameWeight(int,int)       (method; generic ones as Name<T>(...))
//   P:UnityEngine.Light.color   F:UnityEngine.Color.r   E:static UnityEngine.Application.onBeforeRender
// Static members say so ("M:static UnityEngine.Object.DestroyImmediate(Object)"): a stub turning an instance member
// static (or back) would let calls compile here that fail in Unity.
// Overrides of System.Object's Equals/GetHashCode/ToString are always allowed (every type has them).
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;

public static class SurfaceCheck
{
    const BindingFlags Declared = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic
                                  | BindingFlags.Instance | BindingFlags.Static;

    static readonly Dictionary<Type, string> Aliases = new Dictionary<Type, string>
    {
        { typeof(int), "int" }, { typeof(float), "float" }, { typeof(double), "double" }, { typeof(bool), "bool" },
        { typeof(string), "string" }, { typeof(object), "object" }, { typeof(void), "void" }, { typeof(long), "long" },
        { typeof(byte), "byte" }, { typeof(uint), "uint" },
    };

    static string TypeName(Type t)
    {
        if (t.IsByRef) return TypeName(t.GetElementType()) + "&";
        if (t.IsArray) return TypeName(t.GetElementType()) + "[]";
        if (t.IsGenericParameter) return t.Name;
        string alias;
        if (Aliases.TryGetValue(t, out alias)) return alias;
        string name = t.Name;
        int tick = name.IndexOf('`');
        if (tick >= 0) name = name.Substring(0, tick);
        if (t.IsGenericType) name += "<" + string.Join(",", t.GetGenericArguments().Select(TypeName).ToArray()) + ">";
        return name;
    }

    static string FullName(Type t)
    {
        string name = t.IsNested ? FullName(t.DeclaringType) + "." + t.Name : (t.Namespace + "." + t.Name);
        int tick = name.IndexOf('`');
        if (tick >= 0) name = name.Substring(0, tick);
        if (t.IsGenericTypeDefinition)
            name += "<" + string.Join(",", t.GetGenericArguments().Select(a => a.Name).ToArray()) + ">";
        return name;
    }

    static string Kind(Type t)
    {
        if (t.IsEnum) return "enum";
        if (t.IsValueType) return "struct";
        if (t.IsInterface) return "interface";
        if (typeof(Delegate).IsAssignableFrom(t)) return "delegate";
        return "class";
    }

    static string Params(MethodBase m)
    {
        return "(" + string.Join(",", m.GetParameters().Select(p => TypeName(p.ParameterType)).ToArray()) + ")";
    }

    static bool Visible(MethodBase m) { return m != null && (m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly); }

    static string Static(bool isStatic) { return isStatic ? "static " : ""; }

    /// <summary>Every public (and protected) type and member of an assembly, in the list format.</summary>
    public static IEnumerable<string> Surface(Assembly assembly)
    {
        foreach (var t in assembly.GetTypes())
        {
            if (!(t.IsPublic || t.IsNestedPublic || t.IsNestedFamily)) continue;
            string kind = Kind(t);
            string line = "T:" + kind + " " + FullName(t);
            if (kind == "class" && t.BaseType != null && t.BaseType != typeof(object))
                line += " : " + (t.BaseType.IsGenericType && !t.BaseType.IsGenericTypeDefinition
                    ? FullName(t.BaseType.GetGenericTypeDefinition()) : FullName(t.BaseType));
            yield return line;
            if (kind == "delegate")
            {
                yield return "M:" + FullName(t) + "(" + Params(t.GetMethod("Invoke")).Trim('(', ')') + ")";
                continue;
            }
            string owner = FullName(t);
            foreach (var c in t.GetConstructors(Declared))
                if (Visible(c) && !c.IsStatic) yield return "C:" + owner + Params(c);
            foreach (var m in t.GetMethods(Declared))
            {
                if (!Visible(m)) continue;
                if (m.IsSpecialName && !m.Name.StartsWith("op_", StringComparison.Ordinal)) continue; // accessors
                if ((m.Name == "Equals" || m.Name == "GetHashCode" || m.Name == "ToString") && m.GetBaseDefinition().DeclaringType == typeof(object))
                    continue;
                string name = m.Name;
                if (m.IsGenericMethodDefinition)
                    name += "<" + string.Join(",", m.GetGenericArguments().Select(a => a.Name).ToArray()) + ">";
                yield return "M:" + Static(m.IsStatic) + owner + "." + name + Params(m);
            }
            foreach (var p in t.GetProperties(Declared))
            {
                if (!Visible(p.GetGetMethod(true)) && !Visible(p.GetSetMethod(true))) continue;
                var index = p.GetIndexParameters();
                var accessor = p.GetGetMethod(true) ?? p.GetSetMethod(true);
                yield return "P:" + Static(accessor.IsStatic) + owner + "." + p.Name
                    + (index.Length > 0 ? "[" + string.Join(",", index.Select(i => TypeName(i.ParameterType)).ToArray()) + "]" : "");
            }
            foreach (var f in t.GetFields(Declared))
            {
                if (f.IsSpecialName || !(f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly)) continue;
                yield return "F:" + Static(f.IsStatic && !f.IsLiteral) + owner + "." + f.Name;
            }
            foreach (var e in t.GetEvents(Declared))
                if (Visible(e.GetAddMethod(true))) yield return "E:" + Static(e.GetAddMethod(true).IsStatic) + owner + "." + e.Name;
        }
    }

    /// <summary>The entries of an API list file (comments and blank lines dropped).</summary>
    public static HashSet<string> ReadList(string path)
    {
        var allowed = new HashSet<string>(StringComparer.Ordinal);
        foreach (string raw in File.ReadAllLines(path))
        {
            string line = raw.Trim();
            int hash = line.IndexOf('#');
            if (hash >= 0) line = line.Substring(0, hash).Trim();
            if (line.Length > 0) allowed.Add(line);
        }
        return allowed;
    }

    /// <summary>Surface entries of <paramref name="assembly"/> that the list does not allow.</summary>
    public static List<string> Missing(HashSet<string> allowed, Assembly assembly)
    {
        return Surface(assembly).Where(line => !allowed.Contains(line)).OrderBy(l => l, StringComparer.Ordinal).ToList();
    }

    static int Main(string[] args)
    {
        bool dump = args.Length > 0 && args[0] == "--dump";
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: SurfaceCheck.exe LIST.txt STUB.dll [...] | --dump STUB.dll [...]");
            return 2;
        }
        var allowed = dump ? new HashSet<string>() : ReadList(args[0]);
        int members = 0;
        var missing = new List<string>();
        foreach (string path in args.Skip(1))
        {
            var assembly = Assembly.LoadFrom(path);
            foreach (string line in Surface(assembly).OrderBy(s => s, StringComparer.Ordinal))
            {
                members++;
                if (dump) Console.WriteLine(line);
                else if (!allowed.Contains(line)) missing.Add(Path.GetFileName(path) + ": " + line);
            }
        }
        if (dump) return 0;
        foreach (string m in missing)
            Console.Error.WriteLine("stub member not in " + Path.GetFileName(args[0]) + " (real API lacks it, or it was never checked "
                                    + "against the reference): " + m);
        Console.WriteLine("stub surface: " + members + " members checked against " + Path.GetFileName(args[0]) + ", "
                          + missing.Count + " not in the list");
        return missing.Count == 0 ? 0 : 1;
    }
}
