#!/usr/bin/env bash
# Build and test the Unity package (unity_package/) without Unity: minimal UnityEngine/UnityEditor/UniVRM stubs (never
# shipped) whose public surface is checked against API lists read from the real references (unity-api.txt,
# univrm-api.txt: the build fails on a stub member the real API lacks), the package's core, Unity, Editor and VRM
# layers compiled against them with Debian's Mono mcs, the NUnit tests of Tests/Editor, Tests/Runtime and StubTests/,
# and the C# console receiver used by tests/test_unity_live.py. Runs nunit-console, prints the stub-surface and
# benchmark figures, then exactly one summary line "N passed, N failed"; exits non-zero on any failure.
# Installs nothing: `make sysdeps` provides mono-mcs, nunit-console, libnunit-cil-dev and liblo-tools.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PKG="$ROOT/unity_package"
BUILD="$HERE/build"

for tool in mcs mono nunit-console python3; do
    command -v "$tool" >/dev/null || { echo "tests/csharp/run.sh: '$tool' not found; run 'make sysdeps'" >&2; exit 2; }
done
NUNIT_DLL="$(ls /usr/lib/cli/nunit.framework-2.6*/nunit.framework.dll 2>/dev/null | head -n1 || true)"
[ -n "$NUNIT_DLL" ] || { echo "tests/csharp/run.sh: nunit.framework.dll not found; run 'make sysdeps' (libnunit-cil-dev)" >&2; exit 2; }

rm -rf "$BUILD"
mkdir -p "$BUILD"
# -warnaserror: the package must compile cleanly (Unity shows every warning to its users).
MCS=(mcs -langversion:7.2 -nologo -warn:4 -warnaserror+ -optimize+)

compile() { # name, then mcs arguments
    local name="$1"; shift
    if ! "${MCS[@]}" "$@" >"$BUILD/$name.log" 2>&1; then
        cat "$BUILD/$name.log" >&2
        echo "tests/csharp/run.sh: compiling $name failed" >&2
        echo "0 passed, 1 failed"
        exit 1
    fi
}

# 1. The stubs, and the check that their public surface holds only members the real APIs have.
compile UnityEngine -target:library -out:"$BUILD/UnityEngine.dll" "$HERE"/UnityStub/UnityEngine.cs
compile UnityEditor -target:library -r:"$BUILD/UnityEngine.dll" -out:"$BUILD/UnityEditor.dll" "$HERE"/UnityStub/UnityEditor.cs
compile UniVRM -target:library -r:"$BUILD/UnityEngine.dll" -out:"$BUILD/UniVRM.dll" "$HERE"/UniVrmStub/*.cs
compile SurfaceCheck -target:exe -r:System.Core -out:"$BUILD/SurfaceCheck.exe" "$HERE"/SurfaceCheck/*.cs
surface() { # list, then stub assemblies
    if ! (cd "$BUILD" && mono SurfaceCheck.exe "$@") >"$BUILD/surface.log" 2>&1; then
        cat "$BUILD/surface.log" >&2
        echo "tests/csharp/run.sh: a stub declares members the real API lacks (see tests/csharp/unity-api.txt)" >&2
        echo "0 passed, 1 failed"
        exit 1
    fi
    cat "$BUILD/surface.log"
}
surface "$HERE/unity-api.txt" UnityEngine.dll UnityEditor.dll
surface "$HERE/univrm-api.txt" UniVRM.dll

# 2. The package: core, Unity layer, Editor, optional VRM adapters, sample. The Unity-facing assemblies are compiled
# twice: as Unity 2021.3-2022.3 sees them, and with UNITY_2023_1_OR_NEWER (FindAnyObjectByType instead of the
# obsolete FindObjectOfType), so both branches compile without warnings.
compile FaceBridge.Core -target:library -out:"$BUILD/FaceBridge.Core.dll" "$PKG"/Runtime/Core/*.cs
for variant in "" "-define:UNITY_2023_1_OR_NEWER"; do
    suffix=""; [ -n "$variant" ] && suffix=".2023"
    compile "FaceBridge.Unity$suffix" $variant -target:library -r:"$BUILD/UnityEngine.dll" -r:"$BUILD/FaceBridge.Core.dll" \
        -out:"$BUILD/FaceBridge$suffix.dll" "$PKG"/Runtime/Unity/*.cs
    compile "FaceBridge.Editor$suffix" $variant -target:library -r:"$BUILD/UnityEngine.dll" -r:"$BUILD/UnityEditor.dll" \
        -r:"$BUILD/FaceBridge.Core.dll" -r:"$BUILD/FaceBridge$suffix.dll" -out:"$BUILD/FaceBridge.Editor$suffix.dll" "$PKG"/Editor/*.cs
    compile "FaceBridge.Vrm$suffix" $variant -define:FACEBRIDGE_UNIVRM10 -define:FACEBRIDGE_UNIVRM0 -target:library \
        -r:"$BUILD/UnityEngine.dll" -r:"$BUILD/UniVRM.dll" -r:"$BUILD/FaceBridge.Core.dll" -r:"$BUILD/FaceBridge$suffix.dll" \
        -out:"$BUILD/FaceBridge.Vrm$suffix.dll" "$PKG"/Runtime/Vrm10/*.cs "$PKG"/Runtime/Vrm0/*.cs
done
compile Sample.BasicSetup -target:library -r:"$BUILD/UnityEngine.dll" -r:"$BUILD/FaceBridge.Core.dll" \
    -r:"$BUILD/FaceBridge.dll" -out:"$BUILD/Sample.BasicSetup.dll" "$PKG"/Samples~/BasicSetup/*.cs

# 3. Tests: the package's own (real Unity API only; they also run in Unity's Test Runner) and the stub tests here
# (surface check, VRM adapters, HDRP, onBeforeRender: things that need the stubs' internals).
compile FaceBridge.Tests -target:library -r:"$BUILD/UnityEngine.dll" -r:"$BUILD/FaceBridge.Core.dll" \
    -r:"$BUILD/FaceBridge.dll" -r:"$NUNIT_DLL" -out:"$BUILD/FaceBridge.Tests.dll" \
    "$PKG"/Tests/Editor/*.cs "$PKG"/Tests/Runtime/*.cs
compile FaceBridge.StubTests -target:library -r:System.Core -r:"$BUILD/UnityEngine.dll" -r:"$BUILD/UnityEditor.dll" \
    -r:"$BUILD/UniVRM.dll" -r:"$BUILD/FaceBridge.Core.dll" -r:"$BUILD/FaceBridge.dll" -r:"$BUILD/FaceBridge.Editor.dll" \
    -r:"$BUILD/FaceBridge.Vrm.dll" -r:"$BUILD/SurfaceCheck.exe" -r:"$BUILD/FaceBridge.Tests.dll" -r:"$NUNIT_DLL" \
    -out:"$BUILD/FaceBridge.StubTests.dll" "$HERE"/StubTests/*.cs
compile ConsoleReceiver -target:exe -r:"$BUILD/FaceBridge.Core.dll" -out:"$BUILD/FaceBridgeConsoleReceiver.exe" \
    "$HERE"/ConsoleReceiver/*.cs
cp "$NUNIT_DLL" "$BUILD/"

cd "$BUILD"
set +e
FACEBRIDGE_VECTORS="$ROOT/tests/vectors" FACEBRIDGE_BENCH_OUT="$BUILD/benchmark.txt" \
    FACEBRIDGE_STUB_DIR="$BUILD" FACEBRIDGE_API_LISTS="$HERE" \
    nunit-console -nologo -noshadow -xml="$BUILD/TestResult.xml" "$BUILD/FaceBridge.Tests.dll" "$BUILD/FaceBridge.StubTests.dll" \
    >"$BUILD/nunit.log" 2>&1
NUNIT_RC=$?
set -e

[ -f "$BUILD/benchmark.txt" ] && cat "$BUILD/benchmark.txt"
python3 - "$BUILD/TestResult.xml" "$NUNIT_RC" "$BUILD/nunit.log" <<'PY'
import sys
import xml.etree.ElementTree as ET

path, rc, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    root = ET.parse(path).getroot()
except (OSError, ET.ParseError) as exc:
    sys.stderr.write(open(log, errors="replace").read())
    print(f"tests/csharp/run.sh: no readable TestResult.xml ({exc})", file=sys.stderr)
    print("0 passed, 1 failed")
    sys.exit(1)
passed = failed = 0
for case in root.iter("test-case"):
    if case.get("executed") != "True":
        continue
    if case.get("success") == "True":
        passed += 1
    elif case.get("result") not in ("Ignored", "Inconclusive", "Skipped", "NotRunnable"):
        failed += 1
        msg = case.find("failure/message")
        print(f"FAILED {case.get('name')}: {(msg.text or '').strip() if msg is not None else case.get('result')}",
              file=sys.stderr)
for case in root.iter("test-case"):
    if case.get("result") in ("Ignored", "Skipped"):
        reason = case.find("reason/message")
        print(f"ignored {case.get('name')}: {(reason.text or '').strip() if reason is not None else ''}", file=sys.stderr)
if rc != 0 and failed == 0:
    failed = 1  # nunit-console itself failed (crash, load error)
    sys.stderr.write(open(log, errors="replace").read()[-4000:])
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
