#!/usr/bin/env bash
# Build and test the Unity package (unity_package/) without Unity: a minimal UnityEngine stub (never shipped), the
# package's core and Unity layers compiled against it with Debian's Mono mcs, the NUnit tests of Tests/Editor and
# Tests/Runtime, and the C# console receiver used by tests/test_unity_live.py. Runs nunit-console, prints the
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

compile UnityEngine -target:library -out:"$BUILD/UnityEngine.dll" "$HERE"/UnityStub/UnityEngine.cs
compile UnityEditor -target:library -r:"$BUILD/UnityEngine.dll" -out:"$BUILD/UnityEditor.dll" "$HERE"/UnityStub/UnityEditor.cs
compile FaceBridge.Core -target:library -out:"$BUILD/FaceBridge.Core.dll" "$PKG"/Runtime/Core/*.cs
compile FaceBridge.Unity -target:library -r:"$BUILD/UnityEngine.dll" -r:"$BUILD/FaceBridge.Core.dll" \
    -out:"$BUILD/FaceBridge.Unity.dll" "$PKG"/Runtime/Unity/*.cs
compile FaceBridge.Editor -target:library -r:"$BUILD/UnityEngine.dll" -r:"$BUILD/UnityEditor.dll" \
    -r:"$BUILD/FaceBridge.Core.dll" -r:"$BUILD/FaceBridge.Unity.dll" -out:"$BUILD/FaceBridge.Editor.dll" "$PKG"/Editor/*.cs
compile Sample.BasicSetup -target:library -r:"$BUILD/UnityEngine.dll" -r:"$BUILD/FaceBridge.Core.dll" \
    -r:"$BUILD/FaceBridge.Unity.dll" -out:"$BUILD/Sample.BasicSetup.dll" "$PKG"/Samples~/BasicSetup/*.cs
compile FaceBridge.Tests -target:library -r:"$BUILD/UnityEngine.dll" -r:"$BUILD/FaceBridge.Core.dll" \
    -r:"$BUILD/FaceBridge.Unity.dll" -r:"$NUNIT_DLL" -out:"$BUILD/FaceBridge.Tests.dll" \
    "$PKG"/Tests/Editor/*.cs "$PKG"/Tests/Runtime/*.cs
compile ConsoleReceiver -target:exe -r:"$BUILD/FaceBridge.Core.dll" -out:"$BUILD/FaceBridgeConsoleReceiver.exe" \
    "$HERE"/ConsoleReceiver/*.cs
cp "$NUNIT_DLL" "$BUILD/"

cd "$BUILD"
set +e
FACEBRIDGE_VECTORS="$ROOT/tests/vectors" FACEBRIDGE_BENCH_OUT="$BUILD/benchmark.txt" \
    nunit-console -nologo -noshadow -xml="$BUILD/TestResult.xml" "$BUILD/FaceBridge.Tests.dll" >"$BUILD/nunit.log" 2>&1
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
